import { DynamoDbProvisioningStore } from '../dynamodb-provisioning-store.js';
import { dynamoDbClient, tableName } from './dynamodb-client.js';

export const provisioning = () => new DynamoDbProvisioningStore(dynamoDbClient(), tableName());
