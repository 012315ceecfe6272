import { DynamoDbCatalogStore } from '../dynamodb-catalog-store.js';
import { dynamoDbClient, tableName } from './dynamodb-client.js';

export const catalog = () => new DynamoDbCatalogStore(dynamoDbClient(), tableName());
