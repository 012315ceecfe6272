import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../functions/adapters/aws/dynamodb-catalog-store.js';
import { DynamoDbDeploymentStore } from '../../functions/adapters/aws/dynamodb-deployment-store.js';
import { DynamoDbLockStore } from '../../functions/adapters/aws/dynamodb-lock-store.js';
import { DynamoDbWaitStore } from '../../functions/adapters/aws/dynamodb-wait-store.js';
import { newDeployment } from '../../functions/domain/deployment.js';
import { lockKey } from '../../functions/domain/locking.js';
import { planRollout } from '../../functions/domain/rollout-plan.js';
import { SupersededError } from '../../functions/errors.js';
import type { WorkflowEngine } from '../../functions/ports/index.js';
import { acquireDeploymentLock } from '../../functions/use-cases/acquire-deployment-lock.js';
import { startDeployment, type DeploymentRequest } from '../../functions/use-cases/start-deployment.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';

const TABLE = 'flightplan-hml-lock-order';
let dynamoDb: RunningDynamoDb;

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
  await ensureTables(dynamoDb.client, [{ name: TABLE, design: TABLES.main }]);
});

afterAll(async () => {
  await dynamoDb.stop();
});

/** Every execution the lock asks about is still running: only the order of the requests decides. */
const running: Pick<WorkflowEngine, 'describe'> = {
  describe: (executionArn) =>
    Promise.resolve({ executionArn, name: executionArn, status: 'RUNNING', startDate: '2026-12-03T10:00:00.000Z' }),
};

describe("the HML lock and a pull request's deliveries", () => {
  it('keeps the newer commit of a pull request when its older delivery, handled at the same time, was recorded later', async () => {
    const deployments = new DynamoDbDeploymentStore(dynamoDb.client, TABLE);
    const locks = new DynamoDbLockStore(dynamoDb.client, TABLE);
    const deps = {
      deployments,
      locks,
      waits: new DynamoDbWaitStore(dynamoDb.client, TABLE),
      workflows: running as WorkflowEngine,
      clock: { now: () => '2026-12-03T10:30:02.000Z' },
    };
    const record = (id: string, headSha: string, updatedAt: string, now: string) =>
      deployments.create(
        newDeployment({
          id,
          service: { name: 'orders-api', team: 'payments', tier: 'T1' },
          environment: 'hml',
          version: headSha.slice(0, 7),
          imageTag: headSha,
          gitSha: headSha,
          requestedBy: 'alice',
          trigger: {
            kind: 'pull_request',
            repository: 'acme/orders-api',
            pullRequest: 7,
            action: 'synchronize',
            updatedAt,
          },
          plan: planRollout('hml', 'T1'),
          now,
        }),
      );
    // Neither saw the other when it was recorded: the newer push first, its older one a moment later.
    await record('orders-api-hml-newer', 'b'.repeat(40), '2026-12-03T10:05:00Z', '2026-12-03T10:30:00.000Z');
    await record('orders-api-hml-older', 'a'.repeat(40), '2026-12-03T10:00:00Z', '2026-12-03T10:30:01.000Z');

    await acquireDeploymentLock(deps, { deploymentId: 'orders-api-hml-newer', executionArn: 'arn:newer' });
    await expect(
      acquireDeploymentLock(deps, { deploymentId: 'orders-api-hml-older', executionArn: 'arn:older' }),
    ).rejects.toBeInstanceOf(SupersededError);

    expect((await locks.get(lockKey('orders-api', 'hml')))?.deploymentId).toBe('orders-api-hml-newer');
    expect((await deployments.get('orders-api-hml-older'))?.status).toBe('SUPERSEDED');
    expect((await deployments.get('orders-api-hml-newer'))?.status).toBe('IN_PROGRESS');
  });

  it('supersedes an older delivery recorded before a later one deployed, when its start is retried', async () => {
    const catalog = new DynamoDbCatalogStore(dynamoDb.client, TABLE);
    await catalog.putService({
      name: 'ledger-api',
      repository: 'acme/ledger-api',
      team: 'payments',
      tier: 'T2',
      imageRepository: 'registry.acme.test/ledger-api',
      status: 'ACTIVE',
      revision: 0,
    });
    const deployments = new DynamoDbDeploymentStore(dynamoDb.client, TABLE);
    let engineDown = true;
    const workflows = {
      start: (_machine: string, name: string) =>
        engineDown
          ? Promise.reject(new Error('Step Functions is unavailable'))
          : Promise.resolve({ executionArn: `arn:${name}`, alreadyStarted: false }),
    } as unknown as WorkflowEngine;
    const deps = { catalog, deployments, workflows, clock: { now: () => '2026-12-03T10:30:00.000Z' } };
    const request = (headSha: string, updatedAt: string): DeploymentRequest => ({
      service: 'ledger-api',
      environment: 'hml',
      version: headSha.slice(0, 7),
      imageTag: headSha,
      gitSha: headSha,
      requestedBy: 'alice',
      requesters: [],
      requestKey: `pull_request:${headSha}`,
      mode: 'standard',
      meta: { version: 1, correlationId: headSha, causationId: `github:${headSha}` },
      trigger: {
        kind: 'pull_request',
        repository: 'acme/ledger-api',
        pullRequest: 9,
        action: 'synchronize',
        updatedAt,
      },
    });
    const older = request('c'.repeat(40), '2026-12-03T10:00:00Z');

    await expect(startDeployment(deps, older)).rejects.toThrow('Step Functions is unavailable');
    engineDown = false;
    await startDeployment(deps, request('d'.repeat(40), '2026-12-03T10:05:00Z'));
    const retried = await startDeployment(deps, older);

    const recorded = await deployments.get(retried.deploymentId);
    expect(recorded).toMatchObject({ status: 'SUPERSEDED', reason: expect.stringContaining('#9') as string });
  });
});
