import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { serviceSchema, type Environment, type Service } from '../../domain/catalog.js';
import { identitiesOf, personSchema, samePerson, type Person, type PersonIdentity } from '../../domain/identity.js';
import {
  deploymentEventSchema,
  deploymentSchema,
  type Deployment,
  type DeploymentChange,
  type DeploymentEvent,
  type DeploymentStatus,
} from '../../domain/deployment.js';
import { ConcurrentUpdateError, ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { DEFAULT_LOCK_LEASE_SECONDS } from '../../config.js';
import { randomUUID } from 'node:crypto';
import { approvalSchema, type Approval, type ApprovalStatus } from '../../domain/approval.js';
import type {
  ApprovalChange,
  ApprovalStore,
  ArgoObservation,
  BadVersion,
  CatalogStore,
  DeploymentStore,
  LockHolder,
  LockStore,
  Page,
  ServiceChange,
  TaskWait,
  WaitStore,
} from '../../ports/index.js';

export const META = '#META';
const MAX_UPDATE_ATTEMPTS = 8;
const MAX_REVISION = 99_999_999;

const deploymentKey = (id: string) => ({ pk: `DEPLOYMENT#${id}`, sk: META });
const queueKey = (deployment: Pick<Deployment, 'service' | 'environment' | 'createdAt' | 'id'>) => ({
  pk: `QUEUE#${deployment.service}#${deployment.environment}`,
  sk: `${deployment.createdAt}#${deployment.id}`,
});
export const eventSortKey = (revision: number) => `EVENT#${String(revision).padStart(8, '0')}`;

// Only the table's and its indexes' key attributes, the table key always: anything else is a
// forged cursor, which DynamoDB would answer with a ValidationException (a 500).
const CURSOR_KEYS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'];
const cursorSchema = z
  .record(z.string(), z.string().min(1).max(1024))
  .refine(
    (key) => 'pk' in key && 'sk' in key && Object.keys(key).every((name) => CURSOR_KEYS.includes(name)),
    'not a key of this table',
  );

export const encodeCursor = (key: Record<string, unknown> | undefined): string | null =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : null;

export function decodeCursor(cursor: string): Record<string, string> {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch (error) {
    throw new ValidationError(
      'The cursor is not one this API returned',
      [{ path: 'cursor', message: 'invalid cursor' }],
      { cause: error },
    );
  }
}

export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));

/**
 * The expression values, names and FilterExpression for equality filters on top-level attributes
 * (status, environment, team); undefined filters are left out.
 */
export function withFilter(
  values: Record<string, unknown>,
  filters: Record<string, string | undefined>,
): Pick<QueryCommandInput, 'ExpressionAttributeValues' | 'ExpressionAttributeNames' | 'FilterExpression'> {
  const present = Object.entries(filters).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (present.length === 0) return { ExpressionAttributeValues: values };
  return {
    ExpressionAttributeValues: {
      ...values,
      ...Object.fromEntries(present.map(([name, value]) => [`:${name}`, value])),
    },
    // Names, because `status` is a DynamoDB reserved word.
    ExpressionAttributeNames: Object.fromEntries(present.map(([name]) => [`#${name}`, name])),
    FilterExpression: present.map(([name]) => `#${name} = :${name}`).join(' AND '),
  };
}

/** Shares one DocumentClient and table across the single-table adapters below. */
export abstract class DynamoDbTable {
  protected readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Writes `item` only if the stored revision is still `expectedRevision` (or, for a new item,
   * nothing is stored), together with `alongside` in one transaction. False when it lost a race.
   */
  protected async putRevisioned(
    item: Record<string, unknown>,
    expectedRevision: number | undefined,
    alongside: Record<string, unknown>[] = [],
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: item,
                ...(expectedRevision === undefined
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: 'revision = :expected',
                      ExpressionAttributeValues: { ':expected': expectedRevision },
                    }),
              },
            },
            ...alongside.map((other) =>
              'Delete' in other
                ? other
                : { Put: { TableName: this.tableName, Item: other, ConditionExpression: 'attribute_not_exists(pk)' } },
            ),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Read, decide, write with a condition on the revision read; a lost race reads again. `write`
   * turns the decision into the next record (revision + 1) and the items written alongside it.
   */
  protected async updateRevisioned<Record_ extends { revision: number }, Change>(
    what: string,
    read: () => Promise<Record_ | undefined>,
    decide: (current: Record_) => Change | undefined,
    write: (
      current: Record_,
      change: Change,
    ) => { next: Record_; item: Record<string, unknown>; alongside: Record<string, unknown>[] },
  ): Promise<Record_> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt += 1) {
      const current = await read();
      if (!current) throw new NotFoundError(`${what} does not exist`);
      const change = decide(current);
      if (!change) return current;
      const { next, item, alongside } = write(current, change);
      if (await this.putRevisioned(item, current.revision, alongside)) return next;
    }
    throw new ConcurrentUpdateError(`${what} kept changing; gave up after ${MAX_UPDATE_ATTEMPTS} attempts`);
  }

  /** The audit trail stored under `pk` (its `EVENT#{revision}` items), oldest first, every page. */
  protected async auditTrail(pk: string): Promise<DeploymentEvent[]> {
    const events: DeploymentEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
          ExpressionAttributeValues: { ':pk': pk, ':events': 'EVENT#' },
          ExclusiveStartKey: startKey,
        }),
      );
      events.push(...(result.Items ?? []).map((item) => deploymentEventSchema.parse(item['data'])));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return events;
  }

  /** Deletes the item only while `attribute` still holds `expected`; false when it did not. */
  protected async deleteIf(key: { pk: string; sk: string }, attribute: string, expected: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key,
          ConditionExpression: '#attribute = :expected',
          ExpressionAttributeNames: { '#attribute': attribute },
          ExpressionAttributeValues: { ':expected': expected },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

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
    const events: DeploymentEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
          ExpressionAttributeValues: {
            ':pk': deploymentKey(id).pk,
            ':first': eventSortKey(0),
            ':last': eventSortKey(untilRevision ?? MAX_REVISION),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      events.push(...(result.Items ?? []).map((item) => deploymentEventSchema.parse(item['data'])));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    return events;
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

/** Services (with their creation history), the repositories that map to them, and people. */
export class DynamoDbCatalogStore extends DynamoDbTable implements CatalogStore {
  async getService(name: string): Promise<Service | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: serviceKey(name), ConsistentRead: true }),
    );
    return Item ? serviceSchema.parse(Item['data']) : undefined;
  }

  async listServices(): Promise<Service[]> {
    const services: Service[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listServicesPage({}, { limit: 100, ...(cursor ? { cursor } : {}) });
      services.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return services;
  }

  async listServicesPage(
    filter: { team?: string; status?: Service['status'] },
    page: { limit: number; cursor?: string },
  ): Promise<Page<Service>> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byKind',
        KeyConditionExpression: 'gsi3pk = :kind',
        ...withFilter({ ':kind': 'SERVICES' }, { team: filter.team, status: filter.status }),
        Limit: page.limit,
        ...(page.cursor ? { ExclusiveStartKey: decodeCursor(page.cursor) } : {}),
      }),
    );
    return {
      items: (result.Items ?? []).map((item) => serviceSchema.parse(item['data'])),
      nextCursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  async findServiceByRepository(repository: string): Promise<Service | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: repositoryKey(repository) }),
    );
    return typeof Item?.['service'] === 'string' ? this.getService(Item['service']) : undefined;
  }

  async putService(service: Service): Promise<void> {
    await this.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: this.serviceItem(service) } },
          { Put: { TableName: this.tableName, Item: this.repositoryItem(service) } },
        ],
      }),
    );
  }

  async createService(change: ServiceChange): Promise<'created' | 'exists'> {
    // An ACTIVE service (one onboarded from its catalog-info.yaml) deploys from its repository at once.
    const mapping = change.service.status === 'ACTIVE' ? [this.repositoryItem(change.service)] : [];
    const created = await this.putRevisioned(this.serviceItem(change.service), undefined, [
      this.serviceEventItem(change.service, change.event),
      ...mapping,
    ]);
    return created ? 'created' : 'exists';
  }

  updateService(name: string, decide: (current: Service) => ServiceChange | undefined): Promise<Service> {
    return this.updateRevisioned(
      `Service ${name}`,
      () => this.getService(name),
      decide,
      (current, change) => {
        const next = { ...change.service, revision: current.revision + 1 };
        // Mapping the repository is what lets its webhooks deploy: mapped on becoming ACTIVE, unmapped on leaving it.
        const wasMapped = current.status === 'ACTIVE';
        const mapped = next.status === 'ACTIVE';
        const moved = wasMapped && mapped && current.repository.toLowerCase() !== next.repository.toLowerCase();
        const unmap =
          (wasMapped && !mapped) || moved
            ? [
                {
                  Delete: {
                    TableName: this.tableName,
                    Key: repositoryKey(current.repository),
                    ConditionExpression: 'service = :name',
                    ExpressionAttributeValues: { ':name': current.name },
                  },
                },
              ]
            : [];
        const map = (mapped && !wasMapped) || moved ? [this.repositoryItem(next)] : [];
        return {
          next,
          item: this.serviceItem(next),
          alongside: [this.serviceEventItem(next, change.event), ...unmap, ...map],
        };
      },
    );
  }

  serviceEvents(name: string): Promise<DeploymentEvent[]> {
    return this.auditTrail(serviceKey(name).pk);
  }

  async getPerson(id: string): Promise<Person | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: personKey(id), ConsistentRead: true }),
    );
    return Item ? personSchema.parse(Item['data']) : undefined;
  }

  async findPerson(identity: PersonIdentity): Promise<Person | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: identityKey(identity) }),
    );
    // Index items written before person ids existed name the person by `login`.
    const personId: unknown = Item?.['personId'] ?? Item?.['login'];
    return typeof personId === 'string' ? this.getPerson(personId) : undefined;
  }

  async membersOf(team: string): Promise<Person[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `TEAM#${team}` },
          ExclusiveStartKey: startKey,
        }),
      );
      ids.push(...(result.Items ?? []).map((item) => String(item['personId'])));
      startKey = result.LastEvaluatedKey;
    } while (startKey);
    const people = await Promise.all(ids.map((id) => this.getPerson(id)));
    return people.filter((person): person is Person => person !== undefined && person.teams.includes(team));
  }

  async updatePerson(
    id: string,
    decide: (current: Person | undefined) => Person | undefined,
  ): Promise<Person | undefined> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt += 1) {
      const { Item } = await this.documents.send(
        new GetCommand({ TableName: this.tableName, Key: personKey(id), ConsistentRead: true }),
      );
      const current = Item ? personSchema.parse(Item['data']) : undefined;
      const revision = typeof Item?.['revision'] === 'number' ? Item['revision'] : undefined;
      const decided = decide(current);
      if (!decided || (current && samePerson(current, decided))) return current;
      const next = { ...decided, id };
      for (const identity of identitiesOf(next)) {
        const owner = await this.documents.send(
          new GetCommand({ TableName: this.tableName, Key: identityKey(identity), ConsistentRead: true }),
        );
        const ownerId: unknown = owner.Item?.['personId'];
        if (typeof ownerId === 'string' && ownerId !== id)
          throw new ConflictError(`${describeIdentity(identity)} already belongs to ${ownerId}`);
      }
      const keep = new Set(identitiesOf(next).map((identity) => identityKey(identity).pk));
      const dropped = (current ? identitiesOf(current) : []).filter((identity) => !keep.has(identityKey(identity).pk));
      const leftTeams = (current?.teams ?? []).filter((team) => !next.teams.includes(team));
      const writes = [
        ...identitiesOf(next).map((identity) => ({
          Put: {
            TableName: this.tableName,
            Item: { ...identityKey(identity), personId: id },
            // Never take an identity over from somebody else, even in a race.
            ConditionExpression: 'attribute_not_exists(pk) OR personId = :id',
            ExpressionAttributeValues: { ':id': id },
          },
        })),
        ...dropped.map((identity) => ({
          Delete: {
            TableName: this.tableName,
            Key: identityKey(identity),
            ConditionExpression: 'personId = :id',
            ExpressionAttributeValues: { ':id': id },
          },
        })),
        ...next.teams.map((team) => ({
          Put: { TableName: this.tableName, Item: { pk: `TEAM#${team}`, sk: `PERSON#${id}`, personId: id } },
        })),
        ...leftTeams.map((team) => ({
          Delete: { TableName: this.tableName, Key: { pk: `TEAM#${team}`, sk: `PERSON#${id}` } },
        })),
      ];
      try {
        await this.documents.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...personKey(id), revision: (revision ?? -1) + 1, data: next },
                  ...(revision === undefined
                    ? { ConditionExpression: 'attribute_not_exists(pk)' }
                    : {
                        ConditionExpression: 'revision = :expected',
                        ExpressionAttributeValues: { ':expected': revision },
                      }),
                },
              },
              ...writes,
            ],
          }),
        );
        return next;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new ConcurrentUpdateError(`Person ${id} kept changing; gave up after ${MAX_UPDATE_ATTEMPTS} attempts`);
  }

  private serviceItem(service: Service): Record<string, unknown> {
    return {
      ...serviceKey(service.name),
      gsi3pk: 'SERVICES',
      gsi3sk: service.name,
      team: service.team,
      status: service.status,
      revision: service.revision,
      data: service,
    };
  }

  private repositoryItem(service: Service): Record<string, unknown> {
    return { ...repositoryKey(service.repository), service: service.name };
  }

  private serviceEventItem(service: Service, event: DeploymentEvent): Record<string, unknown> {
    return { pk: serviceKey(service.name).pk, sk: eventSortKey(service.revision), data: event };
  }
}

const serviceKey = (name: string) => ({ pk: `SERVICE#${name}`, sk: META });
const personKey = (id: string) => ({ pk: `PERSON#${id}`, sk: META });
const IDENTITY_PREFIX: Record<PersonIdentity['kind'], string> = {
  slack: 'SLACKUSER',
  'github-login': 'GITHUBLOGIN',
  'github-id': 'GITHUBID',
  email: 'EMAIL',
};
const identityKey = (identity: PersonIdentity) => {
  const value =
    identity.kind === 'github-login' || identity.kind === 'email' ? identity.value.toLowerCase() : identity.value;
  return { pk: `${IDENTITY_PREFIX[identity.kind]}#${value}`, sk: META };
};
const describeIdentity = (identity: PersonIdentity): string =>
  ({ slack: 'Slack user', 'github-login': 'GitHub login', 'github-id': 'GitHub user id', email: 'Email' })[
    identity.kind
  ] + ` ${identity.value}`;
const repositoryKey = (repository: string) => ({ pk: `REPOSITORY#${repository.toLowerCase()}`, sk: META });

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

  async recordArgoObservation(key: string, observation: ArgoObservation): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `WAIT#${key}`, sk: '#ARGO', ...observation },
          ConditionExpression: 'attribute_not_exists(observedAt) OR observedAt <= :observedAt',
          ExpressionAttributeValues: { ':observedAt': observation.observedAt },
        }),
      );
    } catch (error) {
      // An older notification arriving late must not replace a newer one.
      if (!isConditionFailure(error)) throw error;
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

const badVersionSchema = z.object({
  service: z.string(),
  version: z.string(),
  deploymentId: z.string(),
  reason: z.string(),
  at: z.string(),
});

const lockHolderSchema = z.object({
  deploymentId: z.string(),
  requestedAt: z.string(),
  executionArn: z.string().optional(),
  leaseExpiresAt: z.string().optional(),
});

const argoObservationSchema = z.object({
  app: z.string(),
  revision: z.string(),
  syncStatus: z.string(),
  healthStatus: z.string(),
  operationPhase: z.string().optional(),
  observedAt: z.string(),
});

const taskWaitSchema = z.object({
  key: z.string(),
  taskToken: z.string(),
  deploymentId: z.string(),
  expectedRevision: z.string().optional(),
  createdAt: z.string(),
});

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
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk > :meta',
        ExpressionAttributeValues: { ':pk': `APPROVAL#${id}`, ':meta': META },
      }),
    );
    return (result.Items ?? [])
      .map((item) => deploymentEventSchema.parse(item['data']))
      .sort((a, b) => a.at.localeCompare(b.at));
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
