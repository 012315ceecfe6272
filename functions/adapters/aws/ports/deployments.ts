import { DeploymentChangePublisher } from '../../deployment-change-publisher.js';
import { DynamoDbDeploymentStore } from '../dynamodb-deployment-store.js';
import { bus } from './bus.js';
import { dynamoDbClient, tableName } from './dynamodb-client.js';

export const deployments = () =>
  new DeploymentChangePublisher(new DynamoDbDeploymentStore(dynamoDbClient(), tableName()), bus());
