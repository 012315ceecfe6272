import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbDeploymentStore } from '../../functions/adapters/aws/dynamodb-deployment-store.js';
import { DynamoDbWaitStore } from '../../functions/adapters/aws/dynamodb-wait-store.js';
import {
  transitionDeployment,
  transitionWave,
  type Deployment,
  type DeploymentChange,
} from '../../functions/domain/deployment.js';
import { argoWaitKey, bakeWaitKey } from '../../functions/domain/locking.js';
import type { WorkflowEngine } from '../../functions/ports/index.js';
import { startBake } from '../../functions/use-cases/bake.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';
import { manualDeployment } from '../support/deployments.js';

const TABLE = 'flightplan-bake-evidence';
const REVISION = 'a'.repeat(40);
const STARTED_AT = '2026-12-01T10:00:00.000Z';
let dynamoDb: RunningDynamoDb;
let deployments: DynamoDbDeploymentStore;
let waits: DynamoDbWaitStore;

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
  await ensureTables(dynamoDb.client, [{ name: TABLE, design: TABLES.main }]);
  deployments = new DynamoDbDeploymentStore(dynamoDb.client, TABLE);
  waits = new DynamoDbWaitStore(dynamoDb.client, TABLE);
});

afterAll(async () => {
  await dynamoDb.stop();
});

/** The failures Step Functions would be sent, by task token. */
function failingWorkflows(): WorkflowEngine & { failures: Map<string, string> } {
  const failures = new Map<string, string>();
  return {
    failures,
    start: () => Promise.reject(new Error('not used')),
    sendTaskSuccess: () => Promise.reject(new Error('not used')),
    sendTaskFailure: (token, _error, cause) => {
      failures.set(token, cause);
      return Promise.resolve();
    },
    sendTaskHeartbeat: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    describe: () => Promise.resolve(undefined),
    executionHistory: () => Promise.resolve(undefined),
  };
}

/** A PROD deployment whose us-east-1 wave the gate has just marked BAKING, at REVISION. */
async function bakingDeployment(id: string): Promise<Deployment> {
  const context = (action: string) => ({ now: STARTED_AT, actor: 'flightplan', action, message: action });
  const created = manualDeployment({
    id,
    service: { name: id, team: 'payments', tier: 'T1' },
    environment: 'prod',
    version: 'v1.0.0',
    now: STARTED_AT,
  });
  await deployments.create(created);
  const apply = (decide: (current: Deployment) => DeploymentChange) => deployments.update(id, decide);
  await apply((current) => transitionDeployment(current, 'IN_PROGRESS', context('deployment.started')));
  await apply((current) =>
    transitionWave(current, 'us-east-1', 'DEPLOYING', {
      ...context('wave.deploying'),
      changes: { gitopsRevision: REVISION },
    }),
  );
  await apply((current) => transitionWave(current, 'us-east-1', 'GATING', context('wave.gating')));
  return apply((current) => transitionWave(current, 'us-east-1', 'BAKING', context('wave.gate-passed')));
}

const degraded = (service: string, revision: string, observedAt: string) =>
  waits.recordArgoObservation(argoWaitKey(service, 'prod', 'us-east-1'), {
    app: `${service}-prod-use1`,
    revision,
    syncStatus: 'Synced',
    healthStatus: 'Degraded',
    operationPhase: 'Succeeded',
    observedAt,
  });

describe('startBake on DynamoDB Local', () => {
  const deps = (workflows: WorkflowEngine) => ({
    deployments,
    waits,
    workflows,
    health: { observe: () => Promise.resolve({ alarmsInAlarm: [] }) },
    clock: { now: () => '2026-12-01T10:05:00.000Z' },
  });

  it('fails the bake at once when Argo CD reported this wave Degraded before the bake was parked', async () => {
    const deployment = await bakingDeployment('degraded-api');
    await degraded('degraded-api', REVISION, '2026-12-01T10:04:00.000Z');
    const workflows = failingWorkflows();
    await startBake(deps(workflows), { deploymentId: deployment.id, region: 'us-east-1', taskToken: 'bake-1' });
    expect(workflows.failures.get('bake-1')).toMatch(/Argo CD reports degraded-api-prod-use1 Degraded/u);
    expect(await waits.get(bakeWaitKey('degraded-api', 'prod', 'us-east-1'))).toBeUndefined();
  });

  it('parks the bake when what Argo CD reported is about another revision', async () => {
    const deployment = await bakingDeployment('other-revision-api');
    await degraded('other-revision-api', 'b'.repeat(40), '2026-12-01T10:04:00.000Z');
    const workflows = failingWorkflows();
    await startBake(deps(workflows), { deploymentId: deployment.id, region: 'us-east-1', taskToken: 'bake-2' });
    expect(workflows.failures.size).toBe(0);
    expect((await waits.get(bakeWaitKey('other-revision-api', 'prod', 'us-east-1')))?.taskToken).toBe('bake-2');
  });
});
