import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { ENV, requireEnv } from '../../../config.js';
import { dynamoDbClient } from './dynamodb-client.js';

export const idempotency = () =>
  new DynamoDBPersistenceLayer({ tableName: requireEnv(ENV.idempotencyTableName), awsSdkV3Client: dynamoDbClient() });
