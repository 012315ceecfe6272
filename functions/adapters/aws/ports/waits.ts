import { DynamoDbWaitStore } from '../dynamodb-wait-store.js';
import { dynamoDbClient, tableName } from './dynamodb-client.js';

export const waits = () => new DynamoDbWaitStore(dynamoDbClient(), tableName());
