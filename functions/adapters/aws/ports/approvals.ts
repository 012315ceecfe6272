import { DynamoDbApprovalStore } from '../dynamodb-approval-store.js';
import { dynamoDbClient, tableName } from './dynamodb-client.js';

export const approvals = () => new DynamoDbApprovalStore(dynamoDbClient(), tableName());
