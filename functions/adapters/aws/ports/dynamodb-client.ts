import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ENV, requireEnv } from '../../../config.js';
import { traced } from './tracer.js';

let dynamoDb: DynamoDBClient | undefined;

/** One DynamoDB client per container, shared by every store port of the function. */
export const dynamoDbClient = (): DynamoDBClient => (dynamoDb ??= traced(new DynamoDBClient({})));
export const tableName = (): string => requireEnv(ENV.tableName);
