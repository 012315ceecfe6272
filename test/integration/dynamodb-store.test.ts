import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeploymentStore } from '../../functions/adapters/aws/dynamodb-deployment-store.js';
import { DynamoDbLockStore } from '../../functions/adapters/aws/dynamodb-lock-store.js';
import { DynamoDbWaitStore } from '../../functions/adapters/aws/dynamodb-wait-store.js';
import { newDeployment, transitionDeployment } from '../../functions/domain/deployment.js';
import { planRollout } from '../../functions/domain/rollout-plan.js';
import { ValidationError } from '../../functions/errors.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';

const TABLE = 'flightplan-integration';
let dynamoDb: RunningDynamoDb;
let deployments: DynamoDbDeploymentStore;

const request = (id: string, createdAt = '2026-11-23T10:00:00.000Z') =>
  newDeployment({
    id,
    service: { name: 'orders-api', team: 'payments', tier: 'T1' },
    environment: 'hml',
    version: id,
    imageTag: id,
    requestedBy: 'alice',
    trigger: { kind: 'manual' },
    plan: planRollout('hml', 'T1'),
    now: createdAt,
  });

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
  await ensureTables(dynamoDb.client, [{ name: TABLE, design: TABLES.main }]);
  deployments = new DynamoDbDeploymentStore(dynamoDb.client, TABLE);
});

afterAll(async () => {
  await dynamoDb.stop();
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

  it('keeps the newest Argo CD observation when an older one arrives late', async () => {
    const waits = new DynamoDbWaitStore(dynamoDb.client, TABLE);
    const observation = {
      app: 'a',
      revision: 'new',
      syncStatus: 'Synced',
      healthStatus: 'Healthy',
      observedAt: '2026-11-23T10:00:05.000Z',
    };
    await waits.recordArgoObservation('k', observation);
    await waits.recordArgoObservation('k', { ...observation, revision: 'old', observedAt: '2026-11-23T10:00:01.000Z' });
    expect((await waits.lastArgoObservation('k'))?.revision).toBe('new');
  });
});
