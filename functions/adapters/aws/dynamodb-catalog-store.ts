import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { serviceSchema, type Service } from '../../domain/catalog.js';
import { identitiesOf, personSchema, samePerson, type Person, type PersonIdentity } from '../../domain/identity.js';
import type { DeploymentEvent } from '../../domain/deployment.js';
import { ConcurrentUpdateError, ConflictError } from '../../errors.js';
import type { CatalogStore, Page, ServiceChange } from '../../ports/index.js';
import {
  DynamoDbTable,
  MAX_UPDATE_ATTEMPTS,
  META,
  decodeCursor,
  encodeCursor,
  eventSortKey,
  withFilter,
} from './dynamodb-table.js';

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

/** Services (with their creation history), the repositories that map to them, and people. */
export class DynamoDbCatalogStore extends DynamoDbTable implements CatalogStore {
  async getService(name: string): Promise<Service | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: serviceKey(name), ConsistentRead: true }),
    );
    return Item ? serviceSchema.parse(Item['data']) : undefined;
  }

  async listServices(): Promise<Service[]> {
    const items = await this.queryAll({
      IndexName: 'byKind',
      KeyConditionExpression: 'gsi3pk = :kind',
      ExpressionAttributeValues: { ':kind': 'SERVICES' },
      Limit: 100,
    });
    return items.map((item) => serviceSchema.parse(item['data']));
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
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `TEAM#${team}` },
    });
    const ids = items.map((item) => String(item['personId']));
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
      const item = { ...personKey(id), revision: (revision ?? -1) + 1, data: next };
      if (await this.putRevisioned(item, revision, writes)) return next;
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
