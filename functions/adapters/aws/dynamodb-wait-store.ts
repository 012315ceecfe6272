import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../../zod.js';
import type { ArgoObservation, TaskWait, WaitStore } from '../../ports/index.js';
import { DynamoDbTable, isConditionFailure } from './dynamodb-table.js';

const argoObservationSchema = z.object({
  app: z.string(),
  revision: z.string(),
  syncStatus: z.string(),
  healthStatus: z.string(),
  operationPhase: z.optional(z.string()),
  observedAt: z.string(),
});

const taskWaitSchema = z.object({
  key: z.string(),
  taskToken: z.string(),
  deploymentId: z.string(),
  expectedRevision: z.optional(z.string()),
  createdAt: z.string(),
});

/** Task tokens parked until an outside signal, and the last Argo CD status per application. */
export class DynamoDbWaitStore extends DynamoDbTable implements WaitStore {
  async put(wait: TaskWait): Promise<void> {
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: `WAIT#${wait.key}`, sk: '#WAIT', ...wait } }),
    );
  }

  take(key: string, taskToken: string): Promise<boolean> {
    return this.deleteIf({ pk: `WAIT#${key}`, sk: '#WAIT' }, 'taskToken', taskToken);
  }

  async recordArgoObservation(key: string, observation: ArgoObservation): Promise<'recorded' | 'older'> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `WAIT#${key}`, sk: '#ARGO', ...observation },
          ConditionExpression: 'attribute_not_exists(observedAt) OR observedAt <= :observedAt',
          ExpressionAttributeValues: { ':observedAt': observation.observedAt },
        }),
      );
      return 'recorded';
    } catch (error) {
      // An older notification arriving late must not replace a newer one.
      if (!isConditionFailure(error)) throw error;
      return 'older';
    }
  }

  async lastArgoObservation(key: string): Promise<ArgoObservation | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `WAIT#${key}`, sk: '#ARGO' }, ConsistentRead: true }),
    );
    return Item ? argoObservationSchema.parse(Item) : undefined;
  }

  async get(key: string): Promise<TaskWait | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `WAIT#${key}`, sk: '#WAIT' }, ConsistentRead: true }),
    );
    return Item ? taskWaitSchema.parse(Item) : undefined;
  }
}
