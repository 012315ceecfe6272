import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../../zod.js';
import type { Environment } from '../../domain/catalog.js';
import {
  deploymentEventSchema,
  deploymentSchema,
  type Deployment,
  type DeploymentChange,
  type DeploymentEvent,
  type DeploymentStatus,
} from '../../domain/deployment.js';
import type { BadVersion, DeploymentStore, Page } from '../../ports/index.js';
import { DynamoDbTable, META, decodeCursor, encodeCursor, eventSortKey, withFilter } from './dynamodb-table.js';

const MAX_REVISION = 99_999_999;

const deploymentKey = (id: string) => ({ pk: `DEPLOYMENT#${id}`, sk: META });
const queueKey = (deployment: Pick<Deployment, 'service' | 'environment' | 'createdAt' | 'id'>) => ({
  pk: `QUEUE#${deployment.service}#${deployment.environment}`,
  sk: `${deployment.createdAt}#${deployment.id}`,
});
const badVersionSchema = z.object({
  service: z.string(),
  version: z.string(),
  deploymentId: z.string(),
  reason: z.string(),
  at: z.string(),
});

/** Deployments and their audit trail on DynamoDB; used unchanged against DynamoDB Local. */
export class DynamoDbDeploymentStore extends DynamoDbTable implements DeploymentStore {
  async create(change: DeploymentChange): Promise<'created' | 'exists'> {
    // The FIFO queue is derived from the QUEUED status, written and cleared in the same transactions.
    const queue =
      change.deployment.status === 'QUEUED'
        ? [{ ...queueKey(change.deployment), deploymentId: change.deployment.id }]
        : [];
    const created = await this.putRevisioned(this.deploymentItem(change.deployment), undefined, [
      this.eventItem(change.deployment, change.event),
      ...queue,
    ]);
    return created ? 'created' : 'exists';
  }

  async get(id: string): Promise<Deployment | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: deploymentKey(id), ConsistentRead: true }),
    );
    return Item ? deploymentSchema.parse(Item['data']) : undefined;
  }

  update(id: string, decide: (current: Deployment) => DeploymentChange | undefined): Promise<Deployment> {
    return this.updateRevisioned(
      `Deployment ${id}`,
      () => this.get(id),
      decide,
      (current, change) => {
        const next = { ...change.deployment, revision: current.revision + 1 };
        const dequeue =
          current.status === 'QUEUED' && next.status !== 'QUEUED'
            ? [{ Delete: { TableName: this.tableName, Key: queueKey(current) } }]
            : [];
        return { next, item: this.deploymentItem(next), alongside: [this.eventItem(next, change.event), ...dequeue] };
      },
    );
  }

  async list(
    filter: { service?: string; environment?: Environment; status?: DeploymentStatus },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Deployment>> {
    // The most selective index for the filter; what the index does not cover is filtered.
    const [indexName, key, residual] =
      filter.service && filter.environment
        ? (['byServiceEnvironment', `gsi1pk = :key`, {}] as const)
        : filter.service
          ? (['byService', 'gsi2pk = :key', { environment: filter.environment }] as const)
          : (['byKind', 'gsi3pk = :key', { environment: filter.environment }] as const);
    const keyValue =
      filter.service && filter.environment
        ? `DEPLOYMENTS#${filter.service}#${filter.environment}`
        : filter.service
          ? `DEPLOYMENTS#${filter.service}`
          : 'DEPLOYMENTS';
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: indexName,
        KeyConditionExpression: key,
        Limit: page.limit,
        ScanIndexForward: false,
        ...withFilter({ ':key': keyValue }, { ...residual, status: filter.status }),
        ...(page.cursor ? { ExclusiveStartKey: decodeCursor(page.cursor) } : {}),
      }),
    );
    return {
      items: (result.Items ?? []).map((item) => deploymentSchema.parse(item['data'])),
      nextCursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  async events(id: string, untilRevision?: number): Promise<DeploymentEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
      ExpressionAttributeValues: {
        ':pk': deploymentKey(id).pk,
        ':first': eventSortKey(0),
        ':last': eventSortKey(untilRevision ?? MAX_REVISION),
      },
    });
    return items.map((item) => deploymentEventSchema.parse(item['data']));
  }

  async queueHead(service: string, environment: Environment): Promise<string | undefined> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `QUEUE#${service}#${environment}` },
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const head: unknown = result.Items?.[0]?.['deploymentId'];
    return typeof head === 'string' ? head : undefined;
  }

  async markVersionBad(record: BadVersion): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `BADVERSION#${record.service}`, sk: record.version, ...record },
      }),
    );
  }

  async badVersion(service: string, version: string): Promise<BadVersion | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `BADVERSION#${service}`, sk: version },
        ConsistentRead: true,
      }),
    );
    return Item ? badVersionSchema.parse(Item) : undefined;
  }

  private deploymentItem(deployment: Deployment): Record<string, unknown> {
    const order = `${deployment.createdAt}#${deployment.id}`;
    return {
      ...deploymentKey(deployment.id),
      gsi1pk: `DEPLOYMENTS#${deployment.service}#${deployment.environment}`,
      gsi1sk: order,
      gsi2pk: `DEPLOYMENTS#${deployment.service}`,
      gsi2sk: order,
      gsi3pk: 'DEPLOYMENTS',
      gsi3sk: order,
      status: deployment.status,
      environment: deployment.environment,
      revision: deployment.revision,
      data: deployment,
    };
  }

  private eventItem(deployment: Deployment, event: DeploymentEvent): Record<string, unknown> {
    return { pk: deploymentKey(deployment.id).pk, sk: eventSortKey(deployment.revision), data: event };
  }
}
