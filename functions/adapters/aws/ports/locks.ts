import { DynamoDbLockStore } from '../dynamodb-lock-store.js';
import { dynamoDbClient, tableName } from './dynamodb-client.js';

export const locks = () => new DynamoDbLockStore(dynamoDbClient(), tableName());
