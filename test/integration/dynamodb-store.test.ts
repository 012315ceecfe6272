import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbApprovalStore } from '../../functions/adapters/aws/dynamodb-approval-store.js';
import { DynamoDbCatalogStore } from '../../functions/adapters/aws/dynamodb-catalog-store.js';
import { DynamoDbDeploymentStore } from '../../functions/adapters/aws/dynamodb-deployment-store.js';
import { DynamoDbLockStore } from '../../functions/adapters/aws/dynamodb-lock-store.js';
import { DynamoDbTable, type TableQuery } from '../../functions/adapters/aws/dynamodb-table.js';
import { DynamoDbWaitStore } from '../../functions/adapters/aws/dynamodb-wait-store.js';
import { transitionDeployment } from '../../functions/domain/deployment.js';
import { ConflictError, ValidationError } from '../../functions/errors.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';
import { manualDeployment } from '../support/deployments.js';

const TABLE = 'flightplan-integration';
let dynamoDb: RunningDynamoDb;
let deployments: DynamoDbDeploymentStore;

const request = (id: string, createdAt = '2026-11-23T10:00:00.000Z') =>
  manualDeployment({ id, environment: 'hml', version: id, now: createdAt });

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
  await ensureTables(dynamoDb.client, [{ name: TABLE, design: TABLES.main }]);
  deployments = new DynamoDbDeploymentStore(dynamoDb.client, TABLE);
});

afterAll(async () => {
  await dynamoDb.stop();
});

/** The table's paging primitives, opened up so a test can query with a page smaller than its items. */
class PagedTable extends DynamoDbTable {
  async put(item: Record<string, unknown>): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  all(query: TableQuery) {
    return this.queryAll(query);
  }

  async pageCounts(query: TableQuery): Promise<number[]> {
    const counts: number[] = [];
    for await (const page of this.queryPages(query)) counts.push(page.Count ?? 0);
    return counts;
  }
}

describe('DynamoDbTable paging on DynamoDB Local', () => {
  const query = { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'PAGED' }, Limit: 2 };

  beforeAll(async () => {
    const table = new PagedTable(dynamoDb.client, TABLE);
    for (let index = 0; index < 7; index += 1) await table.put({ pk: 'PAGED', sk: `ITEM#${index}` });
  });

  it('returns every item in key order when the query spans more than one page', async () => {
    const items = await new PagedTable(dynamoDb.client, TABLE).all(query);
    expect(items.map((item) => String(item['sk']))).toEqual(Array.from({ length: 7 }, (_, index) => `ITEM#${index}`));
  });

  it('reads page after page until DynamoDB returns no LastEvaluatedKey', async () => {
    const counts = await new PagedTable(dynamoDb.client, TABLE).pageCounts({ ...query, Select: 'COUNT' });
    expect(counts).toEqual([2, 2, 2, 1]);
  });
});

describe('DynamoDbCatalogStore on DynamoDB Local', () => {
  it('lists every service when the catalog spans more than one page of 100', async () => {
    const catalog = new DynamoDbCatalogStore(dynamoDb.client, TABLE);
    const names = Array.from({ length: 101 }, (_, index) => `svc-${String(index).padStart(3, '0')}`);
    for (const name of names)
      await catalog.putService({
        name,
        repository: `acme/${name}`,
        team: 'payments',
        tier: 'T3',
        imageRepository: `registry/${name}`,
        status: 'ACTIVE',
        revision: 0,
      });
    expect((await catalog.listServices()).map((service) => service.name)).toEqual(names);
  });

  it("keeps a person's team and identity items in step with the record, and gives an identity to one person", async () => {
    const catalog = new DynamoDbCatalogStore(dynamoDb.client, TABLE);
    const teamItems = (team: string) =>
      new PagedTable(dynamoDb.client, TABLE).all({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `TEAM#${team}` },
      });
    await catalog.updatePerson('pat', () => ({ id: 'pat', username: 'pat', slackUserId: 'UPAT', teams: ['payments'] }));
    await catalog.updatePerson(
      'pat',
      (current) => current && { ...current, slackUserId: 'UPAT2', teams: ['storefront'] },
    );

    expect(await catalog.getPerson('pat')).toMatchObject({ slackUserId: 'UPAT2', teams: ['storefront'] });
    expect(await teamItems('payments')).toEqual([]);
    expect((await teamItems('storefront')).map((item) => String(item['personId']))).toEqual(['pat']);
    expect(await catalog.findPerson({ kind: 'slack', value: 'UPAT' })).toBeUndefined();
    expect((await catalog.findPerson({ kind: 'slack', value: 'UPAT2' }))?.id).toBe('pat');
    await expect(
      catalog.updatePerson('sam', () => ({ id: 'sam', username: 'sam', slackUserId: 'UPAT2', teams: [] })),
    ).rejects.toThrow(ConflictError);
    expect(await catalog.getPerson('sam')).toBeUndefined();
  });
});

describe('DynamoDbApprovalStore on DynamoDB Local', () => {
  it("returns an approval's whole audit trail when its notes pass DynamoDB's 1 MB page", async () => {
    const approvals = new DynamoDbApprovalStore(dynamoDb.client, TABLE);
    // 300 notes of 4 KB: about 1.2 MB, so DynamoDB answers the query in two pages.
    const message = 'x'.repeat(4096);
    for (let index = 0; index < 300; index += 1)
      await approvals.recordEvent('apr-long', {
        at: `2026-11-23T10:00:${String(index % 60).padStart(2, '0')}.${String(index).padStart(3, '0')}Z`,
        actor: 'alice',
        action: 'approval.reminded',
        message,
      });
    expect(await approvals.events('apr-long')).toHaveLength(300);
  });
});

describe('DynamoDbDeploymentStore on DynamoDB Local', () => {
  it('creates a deployment once; a second create of the same id is a no-op', async () => {
    expect(await deployments.create(request('once'))).toBe('created');
    expect(await deployments.create(request('once'))).toBe('exists');
    expect(await deployments.events('once')).toHaveLength(1);
  });

  it('loses no update and double-applies no transition when writers race', async () => {
    await deployments.create(request('race'));
    const context = { now: '2026-11-23T10:01:00.000Z', actor: 'test', action: 'started', message: 'started' };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        deployments.update('race', (current) =>
          current.status === 'QUEUED' ? transitionDeployment(current, 'IN_PROGRESS', context) : undefined,
        ),
      ),
    );
    expect(outcomes.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    const stored = await deployments.get('race');
    expect(stored?.status).toBe('IN_PROGRESS');
    expect(stored?.revision).toBe(1);
    expect((await deployments.events('race')).map((event) => event.action)).toEqual([
      'deployment.requested',
      'started',
    ]);
  });

  it('pages newest first with an opaque cursor and refuses a forged one', async () => {
    for (let index = 0; index < 5; index += 1)
      await deployments.create(request(`page-${index}`, `2026-11-24T10:00:0${index}.000Z`));
    const first = await deployments.list({ service: 'orders-api', environment: 'hml' }, { limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual(['page-4', 'page-3']);
    const second = await deployments.list(
      { service: 'orders-api', environment: 'hml' },
      { limit: 2, cursor: first.nextCursor ?? '' },
    );
    expect(second.items.map((item) => item.id)).toEqual(['page-2', 'page-1']);
    await expect(deployments.list({}, { limit: 2, cursor: 'not-a-cursor' })).rejects.toThrow(ValidationError);
  });
});

describe('DynamoDbLockStore and DynamoDbWaitStore on DynamoDB Local', () => {
  it('lets exactly one of many racing claimants take a free lock', async () => {
    const locks = new DynamoDbLockStore(dynamoDb.client, TABLE);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        locks.compareAndSet('svc#hml', undefined, { deploymentId: `d${index}`, requestedAt: 't' }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const holder = await locks.get('svc#hml');
    await locks.release('svc#hml', 'someone-else');
    expect(await locks.get('svc#hml')).toEqual(holder);
    await locks.release('svc#hml', holder?.deploymentId ?? '');
    expect(await locks.get('svc#hml')).toBeUndefined();
  });

  it('resumes a wait only once however many signals race for it', async () => {
    const waits = new DynamoDbWaitStore(dynamoDb.client, TABLE);
    await waits.put({ key: 'argocd#svc#hml#us-east-1', taskToken: 'token-1', deploymentId: 'd1', createdAt: 't' });
    const taken = await Promise.all(
      Array.from({ length: 10 }, () => waits.take('argocd#svc#hml#us-east-1', 'token-1')),
    );
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('keeps the newest Argo CD observation when an older one arrives late, and says it was older', async () => {
    const waits = new DynamoDbWaitStore(dynamoDb.client, TABLE);
    const observation = {
      app: 'a',
      revision: 'new',
      syncStatus: 'Synced',
      healthStatus: 'Healthy',
      observedAt: '2026-11-23T10:00:05.000Z',
    };
    expect(await waits.recordArgoObservation('k', observation)).toBe('recorded');
    expect(
      await waits.recordArgoObservation('k', {
        ...observation,
        revision: 'old',
        observedAt: '2026-11-23T10:00:01.000Z',
      }),
    ).toBe('older');
    expect((await waits.lastArgoObservation('k'))?.revision).toBe('new');
  });
});
