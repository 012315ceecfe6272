import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { deploymentEventSchema, type DeploymentEvent } from '../../domain/deployment.js';
import { randomUUID } from 'node:crypto';
import { approvalSchema, type Approval, type ApprovalStatus } from '../../domain/approval.js';
import type { ApprovalChange, ApprovalStore, Page } from '../../ports/index.js';
import { DynamoDbTable, META, decodeCursor, encodeCursor, eventSortKey } from './dynamodb-table.js';

/** Approvals with their votes and audit trail; listed by status through the byKind index. */
export class DynamoDbApprovalStore extends DynamoDbTable implements ApprovalStore {
  async create(change: ApprovalChange): Promise<'created' | 'exists'> {
    const created = await this.putRevisioned(this.item(change.approval), undefined, [
      this.eventItem(change.approval.id, change.approval.revision, change.event),
    ]);
    return created ? 'created' : 'exists';
  }

  async get(id: string): Promise<Approval | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `APPROVAL#${id}`, sk: META }, ConsistentRead: true }),
    );
    return Item ? approvalSchema.parse(Item['data']) : undefined;
  }

  update(id: string, decide: (current: Approval) => ApprovalChange | undefined): Promise<Approval> {
    return this.updateRevisioned(
      `Approval ${id}`,
      () => this.get(id),
      decide,
      (current, change) => {
        const next = { ...change.approval, revision: current.revision + 1 };
        return { next, item: this.item(next), alongside: [this.eventItem(id, next.revision, change.event)] };
      },
    );
  }

  async recordEvent(id: string, event: DeploymentEvent): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `APPROVAL#${id}`, sk: `NOTE#${event.at}#${randomUUID()}`, data: event },
      }),
    );
  }

  async events(id: string): Promise<DeploymentEvent[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk > :meta',
      ExpressionAttributeValues: { ':pk': `APPROVAL#${id}`, ':meta': META },
    });
    return items.map((item) => deploymentEventSchema.parse(item['data'])).sort((a, b) => a.at.localeCompare(b.at));
  }

  async listByStatus(status: ApprovalStatus, page: { limit: number; cursor?: string }): Promise<Page<Approval>> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byKind',
        KeyConditionExpression: 'gsi3pk = :kind',
        ExpressionAttributeValues: { ':kind': `APPROVALS#${status}` },
        Limit: page.limit,
        ScanIndexForward: false,
        ...(page.cursor ? { ExclusiveStartKey: decodeCursor(page.cursor) } : {}),
      }),
    );
    return {
      items: (result.Items ?? []).map((item) => approvalSchema.parse(item['data'])),
      nextCursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  private item(approval: Approval): Record<string, unknown> {
    return {
      pk: `APPROVAL#${approval.id}`,
      sk: META,
      gsi3pk: `APPROVALS#${approval.status}`,
      gsi3sk: `${approval.createdAt}#${approval.id}`,
      revision: approval.revision,
      data: approval,
    };
  }

  private eventItem(id: string, revision: number, event: DeploymentEvent): Record<string, unknown> {
    return { pk: `APPROVAL#${id}`, sk: eventSortKey(revision), data: event };
  }
}
