import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../../zod.js';
import { DEFAULT_LOCK_LEASE_SECONDS } from '../../config.js';
import type { LockHolder, LockStore } from '../../ports/index.js';
import { DynamoDbTable, isConditionFailure } from './dynamodb-table.js';

const lockHolderSchema = z.object({
  deploymentId: z.string(),
  requestedAt: z.string(),
  executionArn: z.optional(z.string()),
  leaseExpiresAt: z.optional(z.string()),
});

/** Per-(service, environment) deployment locks, taken and released with conditions. */
export class DynamoDbLockStore extends DynamoDbTable implements LockStore {
  constructor(
    client: DynamoDBClient,
    tableName: string,
    public leaseSeconds: number = DEFAULT_LOCK_LEASE_SECONDS,
  ) {
    super(client, tableName);
  }

  async get(key: string): Promise<LockHolder | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `LOCK#${key}`, sk: '#LOCK' }, ConsistentRead: true }),
    );
    return Item ? lockHolderSchema.parse(Item) : undefined;
  }

  async compareAndSet(key: string, expected: LockHolder | undefined, holder: LockHolder): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `LOCK#${key}`, sk: '#LOCK', ...holder },
          // The lease is part of the condition: a holder that renewed meanwhile keeps its lock.
          ...(expected
            ? expected.leaseExpiresAt
              ? {
                  ConditionExpression: 'deploymentId = :expected AND leaseExpiresAt = :lease',
                  ExpressionAttributeValues: { ':expected': expected.deploymentId, ':lease': expected.leaseExpiresAt },
                }
              : {
                  ConditionExpression: 'deploymentId = :expected AND attribute_not_exists(leaseExpiresAt)',
                  ExpressionAttributeValues: { ':expected': expected.deploymentId },
                }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async release(key: string, deploymentId: string): Promise<void> {
    // False means someone newer holds it already (or nobody does): there is nothing of ours to release.
    await this.deleteIf({ pk: `LOCK#${key}`, sk: '#LOCK' }, 'deploymentId', deploymentId);
  }
}
