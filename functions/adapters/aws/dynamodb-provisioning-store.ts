import { GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Environment } from '../../domain/catalog.js';
import type { DeploymentEvent } from '../../domain/deployment.js';
import {
  applyRunSchema,
  awsNamesOf,
  isProvisioningTerminal,
  provisioningRequestSchema,
  type ApplyRun,
  type ProvisioningChange,
  type ProvisioningRequest,
  type ProvisioningStatus,
} from '../../domain/provisioning.js';
import type { Page, ProvisioningStore } from '../../ports/index.js';
import { DynamoDbTable, META, decodeCursor, encodeCursor, eventSortKey, withFilter } from './dynamodb-table.js';

const requestKey = (id: string) => ({ pk: `PROVISIONING#${id}`, sk: META });
const claimKey = (request: Pick<ProvisioningRequest, 'environment' | 'region' | 'type' | 'service' | 'name'>) => ({
  pk: `CLAIM#${request.environment}#${request.region}#${request.type}#${request.service}`,
  sk: request.name,
});
/** Set on a request's item when it claimed its AWS names; requests stored before that hold none. */
const NAMES_CLAIMED = 'awsNamesClaimed';
/** One per AWS name (`awsNamesOf`): another service's request can arrive at the same name. */
const awsNameKey = (name: string) => ({ pk: `AWSNAME#${name}`, sk: META });
const pullRequestKey = (repository: string, number: number) => ({
  pk: `PULLREQUEST#${repository.toLowerCase()}#${number}`,
  sk: META,
});
const mergeCommitKey = (repository: string, sha: string) => ({
  pk: `MERGECOMMIT#${repository.toLowerCase()}#${sha}`,
  sk: META,
});
const applyRunKey = (repository: string, sha: string) => ({
  pk: `APPLYRUN#${repository.toLowerCase()}#${sha}`,
  sk: META,
});

/**
 * Provisioning requests on the single table. A claim item per resource (`CLAIM#…`) and one per
 * AWS name it takes (`AWSNAME#…`) are written in the same transaction as the request, so two
 * requests for the same Terraform file, or for the same AWS resource, cannot both go ahead;
 * lookups by pull request and merge commit are items written when those become known.
 */
export class DynamoDbProvisioningStore extends DynamoDbTable implements ProvisioningStore {
  async create(change: ProvisioningChange): Promise<'created' | 'exists' | 'claimed'> {
    const { request } = change;
    const claims = [claimKey(request), ...awsNamesOf(request).map(awsNameKey)].map((key) => ({
      ...key,
      requestId: request.id,
    }));
    const item = { ...this.item(request), [NAMES_CLAIMED]: true };
    if (await this.putRevisioned(item, undefined, [this.eventItem(request, change.event), ...claims])) return 'created';
    return (await this.get(request.id)) ? 'exists' : 'claimed';
  }

  async get(id: string): Promise<ProvisioningRequest | undefined> {
    return (await this.read(id))?.request;
  }

  private async read(id: string): Promise<{ request: ProvisioningRequest; namesClaimed: boolean } | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: requestKey(id), ConsistentRead: true }),
    );
    return Item
      ? { request: provisioningRequestSchema.parse(Item['data']), namesClaimed: Item[NAMES_CLAIMED] === true }
      : undefined;
  }

  update(
    id: string,
    decide: (current: ProvisioningRequest) => ProvisioningChange | undefined,
  ): Promise<ProvisioningRequest> {
    // Whether this request claimed its AWS names, as read for the attempt being written.
    let namesClaimed = false;
    return this.updateRevisioned(
      `Provisioning request ${id}`,
      async () => {
        const stored = await this.read(id);
        namesClaimed = stored?.namesClaimed ?? false;
        return stored?.request;
      },
      decide,
      (current, change) => {
        const next = { ...change.request, revision: current.revision + 1 };
        const alongside: Record<string, unknown>[] = [this.eventItem(next, change.event)];
        if (next.pullRequest && !current.pullRequest)
          alongside.push({ ...pullRequestKey(next.pullRequest.repository, next.pullRequest.number), requestId: id });
        if (next.pullRequest?.mergeCommitSha && !current.pullRequest?.mergeCommitSha) {
          alongside.push({
            ...mergeCommitKey(next.pullRequest.repository, next.pullRequest.mergeCommitSha),
            requestId: id,
          });
        }
        // A request that ends without its resource frees the name for the next request.
        if (
          isProvisioningTerminal(next.status) &&
          next.status !== 'COMPLETED' &&
          !isProvisioningTerminal(current.status)
        ) {
          // A request stored before names were claimed holds none: the name may be another's now.
          const claims = [claimKey(next), ...(namesClaimed ? awsNamesOf(next).map(awsNameKey) : [])];
          alongside.push(
            ...claims.map((Key) => ({
              Delete: {
                TableName: this.tableName,
                Key,
                ConditionExpression: 'requestId = :id',
                ExpressionAttributeValues: { ':id': id },
              },
            })),
          );
        }
        return { next, item: { ...this.item(next), ...(namesClaimed ? { [NAMES_CLAIMED]: true } : {}) }, alongside };
      },
    );
  }

  events(id: string): Promise<DeploymentEvent[]> {
    return this.auditTrail(requestKey(id).pk);
  }

  async list(
    filter: { service?: string; environment?: Environment; status?: ProvisioningStatus },
    page: { limit: number; cursor?: string },
  ): Promise<Page<ProvisioningRequest>> {
    const query: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: filter.service ? 'byService' : 'byKind',
      KeyConditionExpression: filter.service ? 'gsi2pk = :key' : 'gsi3pk = :key',
      ...withFilter(
        { ':key': filter.service ? `PROVISIONING#${filter.service}` : 'PROVISIONING' },
        { environment: filter.environment, status: filter.status },
      ),
      Limit: page.limit,
      ScanIndexForward: false,
      ...(page.cursor ? { ExclusiveStartKey: decodeCursor(page.cursor) } : {}),
    };
    const result = await this.documents.send(new QueryCommand(query));
    return {
      items: (result.Items ?? []).map((item) => provisioningRequestSchema.parse(item['data'])),
      nextCursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  async countClaims(
    service: string,
    environment: Environment,
    region: string,
    type: ProvisioningRequest['type'],
  ): Promise<number> {
    let count = 0;
    for await (const page of this.queryPages({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': claimKey({ environment, region, type, service, name: '' }).pk },
      Select: 'COUNT',
      ConsistentRead: true,
    }))
      count += page.Count ?? 0;
    return count;
  }

  findByPullRequest(repository: string, number: number): Promise<string | undefined> {
    return this.requestIdAt(pullRequestKey(repository, number));
  }

  findByMergeCommit(repository: string, sha: string): Promise<string | undefined> {
    return this.requestIdAt(mergeCommitKey(repository, sha));
  }

  async recordEarlyApplyRun(repository: string, run: ApplyRun): Promise<void> {
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { ...applyRunKey(repository, run.headSha), data: run } }),
    );
  }

  async earlyApplyRun(repository: string, sha: string): Promise<ApplyRun | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: applyRunKey(repository, sha), ConsistentRead: true }),
    );
    return Item ? applyRunSchema.parse(Item['data']) : undefined;
  }

  private async requestIdAt(key: { pk: string; sk: string }): Promise<string | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return typeof Item?.['requestId'] === 'string' ? Item['requestId'] : undefined;
  }

  private item(request: ProvisioningRequest): Record<string, unknown> {
    const order = `${request.createdAt}#${request.id}`;
    return {
      ...requestKey(request.id),
      gsi2pk: `PROVISIONING#${request.service}`,
      gsi2sk: order,
      gsi3pk: 'PROVISIONING',
      gsi3sk: order,
      status: request.status,
      environment: request.environment,
      revision: request.revision,
      data: request,
    };
  }

  private eventItem(request: ProvisioningRequest, event: DeploymentEvent): Record<string, unknown> {
    return { pk: requestKey(request.id).pk, sk: eventSortKey(request.revision), data: event };
  }
}
