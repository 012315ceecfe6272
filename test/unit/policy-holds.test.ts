import { describe, expect, it, vi } from 'vitest';
import { argoCdAppStatusChanged } from '../../events/argocd-app-status-changed.js';
import type { BusEntry } from '../../events/envelope.js';
import { declaration as failBakeOnAlarm } from '../../functions/deployment/fail-bake-on-alarm.js';
import { declaration as recordArgoStatus } from '../../functions/deployment/record-argo-status.js';
import { originRefusal, type EventOrigins } from '../../functions/domain/event-origin.js';
import { argoWaitKey, bakeWaitKey } from '../../functions/domain/locking.js';
import type {
  ApprovalStore,
  CatalogStore,
  Chat,
  DeploymentStore,
  LockStore,
  TaskWait,
  WaitStore,
  WorkflowEngine,
} from '../../functions/ports/index.js';
import { bakeDecisionIdFor, newApproval, type Approval } from '../../functions/domain/approval.js';
import { abortDeployment } from '../../functions/use-cases/abort-deployment.js';
import { declaration as argocdWebhook } from '../../functions/ingress/argocd-webhook.js';
import {
  clusterMayNotReport,
  judgeBakeEvidence,
  parseArgoClusters,
} from '../../functions/domain/argocd-notification.js';
import { alarmTargetOf } from '../../functions/domain/health-gate.js';
import {
  transitionDeployment,
  transitionWave,
  type Deployment,
  type Wave,
  type WaveStatus,
} from '../../functions/domain/deployment.js';
import { knownGoodReleases } from '../../functions/domain/known-good.js';
import { lockHolderGone } from '../../functions/domain/locking.js';
import { announcedToPlatformTeam } from '../../functions/domain/notifications.js';
import { notifyOncePerTransition } from '../../functions/use-cases/notify-deployment-change.js';
import { completeDeployment } from '../../functions/use-cases/finish-deployment.js';
import { recordArgoStatus as recordArgoStatusUseCase } from '../../functions/use-cases/record-argo-status.js';
import type { Once } from '../../functions/use-cases/once.js';
import type { HttpEvent, HttpResult } from '../../functions/http/http-handler.js';
import { lambdaContext } from '../../infra/local/lambda-context.js';
import { manualDeployment } from '../support/deployments.js';

describe('alarmTargetOf', () => {
  const services = ['orders', 'orders-api', 'catalog-web'];
  it.each([
    ['orders-api-prod-5xx', { service: 'orders-api', environment: 'prod' }],
    ['orders-api-hml-p99', { service: 'orders-api', environment: 'hml' }],
    ['orders-prod-errors', { service: 'orders', environment: 'prod' }],
    ['orders-api-5xx', undefined],
    ['catalog-web-staging-5xx', undefined],
    ['billing-prod-5xx', undefined],
  ])('reads %s as %o', (alarmName, expected) => {
    expect(alarmTargetOf(alarmName, services)).toEqual(expected);
  });
});

describe('judgeBakeEvidence', () => {
  const wave = { gitopsRevision: 'a'.repeat(40), startedAt: '2026-12-01T10:00:00.000Z' };
  const evidence = { app: 'orders-api-prod-use1', revision: 'a'.repeat(40), observedAt: '2026-12-01T10:05:00.000Z' };
  it.each([
    ['counts news about this wave', evidence, 'this-wave'],
    ['ignores another revision', { ...evidence, revision: '0'.repeat(40) }, 'something-else'],
    [
      'ignores news observed before the wave started',
      { ...evidence, observedAt: '2026-11-30T10:05:00.000Z' },
      'something-else',
    ],
    ['ignores another application with the same labels', { ...evidence, app: 'payments-sandbox' }, 'something-else'],
  ])('%s', (_name, given, about) => {
    expect(judgeBakeEvidence(wave, 'orders-api-prod-use1', given).about).toBe(about);
  });

  it('ignores news about this wave that newer news about the application overtook', () => {
    expect(judgeBakeEvidence(wave, 'orders-api-prod-use1', evidence, { overtaken: true })).toMatchObject({
      about: 'something-else',
      reason: expect.stringContaining('older than the latest Argo CD news') as unknown,
    });
  });

  it('ignores everything when the wave committed nothing (the region already ran the digest)', () => {
    expect(judgeBakeEvidence({ ...wave, gitopsRevision: null }, 'orders-api-prod-use1', evidence)).toMatchObject({
      about: 'something-else',
    });
  });
});

describe('parseArgoClusters', () => {
  it('reads a plain token as the single default token, allowed everywhere', () => {
    expect(parseArgoClusters('local-argocd-token')).toEqual([
      { token: 'local-argocd-token', cluster: { name: 'default', regions: '*', environments: '*' } },
    ]);
  });

  it('reads a token per cluster with the regions and environments it may report on', () => {
    const clusters = parseArgoClusters(
      JSON.stringify({ 'eks-prod-use1': { token: 'p'.repeat(32), regions: ['us-east-1'], environments: ['prod'] } }),
    );
    expect(clusters).toEqual([
      { token: 'p'.repeat(32), cluster: { name: 'eks-prod-use1', regions: ['us-east-1'], environments: ['prod'] } },
    ]);
    const cluster = clusters[0]?.cluster ?? { name: '', regions: '*', environments: '*' };
    expect(
      clusterMayNotReport(cluster, { service: 'orders-api', environment: 'prod', region: 'us-east-1' }),
    ).toBeUndefined();
    expect(clusterMayNotReport(cluster, { service: 'orders-api', environment: 'prod', region: 'sa-east-1' })).toContain(
      'not sa-east-1',
    );
    expect(clusterMayNotReport(cluster, { service: 'orders-api', environment: 'hml', region: 'us-east-1' })).toContain(
      'not hml',
    );
  });

  it('refuses a malformed cluster map instead of treating it as one token', () => {
    expect(() => parseArgoClusters('{"eks-prod-use1": {"token": "short"}}')).toThrow('not a cluster map');
  });
});

describe('argocd webhook with a token per cluster', () => {
  const clusters = JSON.stringify({
    'eks-prod-use1': { token: 'use1-token-0123456789', regions: ['us-east-1'], environments: ['prod'] },
    'eks-prod-sae1': { token: 'sae1-token-0123456789', regions: ['sa-east-1'], environments: ['prod'] },
  });
  const notification = (region: string) => ({
    app: `orders-api-prod-${region === 'us-east-1' ? 'use1' : 'sae1'}`,
    event: 'app-health-degraded',
    labels: {
      'flightplan.io/service': 'orders-api',
      'flightplan.io/environment': 'prod',
      'flightplan.io/region': region,
    },
    revision: 'a'.repeat(40),
    syncStatus: 'Synced',
    healthStatus: 'Degraded',
    timestamp: '2026-12-01T10:00:00Z',
  });
  const send = async (token: string, region: string) => {
    const published: BusEntry[] = [];
    const handler = argocdWebhook.createHandler({
      bus: {
        publish: (entries: BusEntry[]) => {
          published.push(...entries);
          return Promise.resolve();
        },
      },
      argocdToken: { value: () => Promise.resolve(clusters) },
    });
    const event = {
      routeKey: 'POST /webhooks/argocd',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(notification(region)),
      isBase64Encoded: false,
      requestContext: { requestId: 'r1' },
    } as unknown as HttpEvent;
    const response = (await handler(event, lambdaContext('argocdWebhook'))) as HttpResult;
    return {
      status: response.statusCode,
      body: JSON.parse(String(response.body)) as Record<string, unknown>,
      published,
    };
  };

  it('accepts a cluster reporting on its own region, and says which cluster it was', async () => {
    const { status, published } = await send('use1-token-0123456789', 'us-east-1');
    expect(status).toBe(202);
    expect(published[0]?.detail).toMatchObject({ region: 'us-east-1', cluster: 'eks-prod-use1' });
  });

  it('ignores, with the reason, a cluster reporting on a region it does not run', async () => {
    const { status, body, published } = await send('use1-token-0123456789', 'sa-east-1');
    expect(status).toBe(202);
    expect(body).toEqual({ status: 'ignored', reason: 'cluster eks-prod-use1 may report on us-east-1, not sa-east-1' });
    expect(published).toEqual([]);
  });

  it('refuses a token no cluster has', async () => {
    expect((await send('local-argocd-token', 'us-east-1')).status).toBe(401);
  });
});

describe('lockHolderGone', () => {
  const holder = {
    deploymentId: 'd1',
    requestedAt: '2026-12-01T10:00:00.000Z',
    executionArn: 'arn:aws:states:us-east-1:1:execution:flightplan-deployment:d1',
    leaseExpiresAt: '2026-12-01T12:00:00.000Z',
  };
  const now = '2026-12-01T11:00:00.000Z';
  it.each([
    [
      'a running holder within its lease keeps the lock',
      { deploymentStatus: 'IN_PROGRESS', executionStatus: 'RUNNING', now },
      undefined,
    ],
    ['an ended deployment does not', { deploymentStatus: 'SUCCEEDED', executionStatus: undefined, now }, 'ended'],
    [
      'a deployment that no longer exists does not',
      { deploymentStatus: undefined, executionStatus: undefined, now },
      'ended',
    ],
    [
      'an execution stopped from the console does not',
      { deploymentStatus: 'IN_PROGRESS', executionStatus: 'ABORTED', now },
      'execution-stopped',
    ],
    [
      'an execution the engine does not know (a local restart) does not',
      { deploymentStatus: 'IN_PROGRESS', executionStatus: 'UNKNOWN', now },
      'execution-stopped',
    ],
    [
      'an expired lease does not, even while the execution runs',
      { deploymentStatus: 'AWAITING_APPROVAL', executionStatus: 'RUNNING', now: '2026-12-01T12:00:00.001Z' },
      'lease-expired',
    ],
  ] as const)('%s', (_name, state, kind) => {
    expect(lockHolderGone({ holder, ...state })?.kind).toBe(kind);
  });

  it('keeps a holder from before leases while its deployment runs', () => {
    expect(
      lockHolderGone({
        holder: { deploymentId: 'd1', requestedAt: holder.requestedAt },
        deploymentStatus: 'IN_PROGRESS',
        executionStatus: undefined,
        now,
      }),
    ).toBeUndefined();
  });
});

const deploymentOf = (id: string, version: string, at: string, ending: Deployment['status']): Deployment => {
  const created = manualDeployment({ id, environment: 'prod', version, now: at }).deployment;
  const context = { now: at, actor: 'test', action: 'test', message: 'test' };
  let deployment: Deployment = {
    ...transitionDeployment(created, 'IN_PROGRESS', context).deployment,
    digest: `sha256:${version}`,
  };
  for (const region of ['us-east-1', 'sa-east-1']) {
    deployment = transitionWave(deployment, region, 'DEPLOYING', {
      ...context,
      changes: { digestAfter: `sha256:${version}-${region}` },
    }).deployment;
  }
  return transitionDeployment(deployment, ending, context).deployment;
};

describe('knownGoodReleases', () => {
  it('lists each version a SUCCEEDED deployment recorded once, newest first, with the digest of each region', () => {
    const releases = knownGoodReleases([
      deploymentOf('a', 'v1', '2026-12-01T10:00:00.000Z', 'SUCCEEDED'),
      deploymentOf('b', 'v2', '2026-12-01T11:00:00.000Z', 'ROLLED_BACK'),
      deploymentOf('c', 'v3', '2026-12-01T12:00:00.000Z', 'SUCCEEDED'),
      deploymentOf('d', 'v1', '2026-12-01T13:00:00.000Z', 'SUCCEEDED'),
    ]);
    expect(releases.map((release) => [release.version, release.deploymentId])).toEqual([
      ['v1', 'd'],
      ['v3', 'c'],
    ]);
    expect(releases[0]?.digests).toEqual({ 'us-east-1': 'sha256:v1-us-east-1', 'sa-east-1': 'sha256:v1-sa-east-1' });
  });
});

describe('notifyOncePerTransition', () => {
  const detail = (action: string, mode: 'standard' | 'rollback' = 'standard') => ({
    deployment: {
      id: 'd1',
      service: 'orders-api',
      team: 'payments',
      environment: 'prod' as const,
      version: 'v1',
      gitSha: null,
      status: 'IN_PROGRESS',
      mode,
      revision: 4,
      requestedBy: 'bob',
      repository: 'acme/orders-api',
      waves: [{ region: 'us-east-1', status: 'SUCCEEDED' }],
    },
    change: {
      at: '2026-12-01T10:00:00.000Z',
      actor: 'flightplan',
      action,
      message: 'us-east-1 passed its health gate',
      region: 'us-east-1',
    },
    meta: { version: 1 as const, correlationId: 'd1', causationId: 'deployment:d1:4' },
  });
  const fakes = () => {
    const done = new Set<string>();
    const once: Once = async (key, effect) => {
      if (done.has(key)) return 'already-done';
      await effect();
      done.add(key);
      return 'done';
    };
    const posts: string[] = [];
    const statuses: string[] = [];
    const deps = {
      catalog: { getService: () => Promise.resolve(undefined) } as never,
      chat: {
        post: (message: { channel: string }) => {
          posts.push(message.channel);
          return Promise.resolve({ channel: message.channel, ts: '1' });
        },
      } as never,
      githubDeployments: {
        setStatus: (notice: { state: string }) => {
          statuses.push(notice.state);
          return Promise.resolve();
        },
      },
      metrics: { count: () => undefined, milliseconds: () => undefined },
      once,
    };
    return { deps, posts, statuses };
  };

  it('posts once to Slack and once to GitHub however often the same transition is delivered', async () => {
    const { deps, posts, statuses } = fakes();
    for (let delivery = 0; delivery < 3; delivery += 1) await notifyOncePerTransition(deps, detail('wave.gate-passed'));
    expect(posts).toEqual(['#deploys-payments']);
    expect(statuses).toEqual(['success']);
  });

  it('announces a rollback in #platform-team', async () => {
    const { deps, posts } = fakes();
    await notifyOncePerTransition(deps, detail('deployment.rollback-requested', 'rollback'));
    expect(posts).toEqual(['#deploys-payments', '#platform-team']);
    expect(announcedToPlatformTeam(detail('deployment.rollback-requested', 'standard'))).toBe(false);
  });
});

describe('events from workload accounts', () => {
  const CONTROL = '123456789012';
  const HML = '111111111111';
  const PROD = '222222222222';
  const origins: EventOrigins = {
    controlPlaneAccount: CONTROL,
    workloadAccounts: {
      hml: { account: HML, regions: ['us-east-1'] },
      prod: { account: PROD, regions: ['us-east-1', 'sa-east-1'] },
    },
  };
  const prodUse1 = { environment: 'prod', region: 'us-east-1' } as const;

  it.each([
    ['the PROD account, about PROD', { account: PROD, region: 'us-east-1' }, prodUse1, false, undefined],
    ['the HML account, about PROD', { account: HML, region: 'us-east-1' }, prodUse1, false, 'account 111111111111'],
    [
      'the PROD account, about a region it only names (a PutEvents straight to the home bus)',
      { account: PROD, region: 'us-east-1' },
      { environment: 'prod', region: 'sa-east-1' },
      false,
      'came from us-east-1',
    ],
    [
      'the HML account, about a region HML does not run',
      { account: HML, region: 'sa-east-1' },
      { environment: 'hml', region: 'sa-east-1' },
      false,
      'does not run in sa-east-1',
    ],
    ['the control plane, relaying its webhook', { account: CONTROL, region: 'us-east-1' }, prodUse1, true, undefined],
    [
      'the control plane, not relaying (an alarm of its own)',
      { account: CONTROL, region: 'us-east-1' },
      prodUse1,
      false,
      'account 123456789012',
    ],
  ] as const)('judges an event from %s', (_name, origin, about, relayed, refusal) => {
    const found = originRefusal(origins, origin, about, { relayedFromControlPlane: relayed });
    if (refusal === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(refusal);
  });

  it('takes every event in one account, where nothing tells them apart', () => {
    expect(
      originRefusal({ controlPlaneAccount: CONTROL }, { account: CONTROL, region: 'us-east-1' }, prodUse1, {
        relayedFromControlPlane: false,
      }),
    ).toBeUndefined();
  });

  const context = lambdaContext('audit');
  const wait = (key: string): TaskWait => ({
    key,
    taskToken: `token-${key}`,
    deploymentId: 'd-prod',
    expectedRevision: 'f'.repeat(40),
    createdAt: '2026-12-01T11:50:00.000Z',
  });
  function portsWaitingOn(keys: string[]) {
    const waits = Object.fromEntries(keys.map((key) => [key, wait(key)]));
    const workflows = {
      sendTaskSuccess: vi.fn(() => Promise.resolve()),
      sendTaskFailure: vi.fn(() => Promise.resolve()),
    };
    const ignored: string[] = [];
    const ports = {
      catalog: { listServices: () => Promise.resolve([{ name: 'orders-api' }]) },
      waits: {
        get: (key: string) => Promise.resolve(waits[key]),
        take: () => Promise.resolve(true),
        recordArgoObservation: () => Promise.resolve('recorded' as const),
      },
      workflows,
      deployments: {
        get: () => Promise.resolve(undefined),
        update: (_id: string, change: (current: object) => { event: { message: string } }) => {
          ignored.push(change({}).event.message);
          return Promise.resolve();
        },
      },
      clock: { now: () => '2026-12-01T12:00:00.000Z' },
      eventOrigins: origins,
    };
    return { ports, workflows, ignored };
  }
  const onBus = (account: string, source: string, detailType: string, detail: object) => ({
    version: '0',
    id: 'e1',
    'detail-type': detailType,
    source,
    account,
    time: '2026-12-01T12:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  });
  const prodAlarm = (account: string) =>
    onBus(account, 'aws.cloudwatch', 'CloudWatch Alarm State Change', {
      alarmName: 'orders-api-prod-5xx',
      state: { value: 'ALARM' },
    });
  const healthyInProd = (account: string) => {
    const { source, detailType, detail } = argoCdAppStatusChanged.build(
      {
        app: 'orders-api-prod-use1',
        service: 'orders-api',
        environment: 'prod',
        region: 'us-east-1',
        revision: 'f'.repeat(40),
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
        trigger: 'on-deployed',
        observedAt: '2026-12-01T12:00:00.000Z',
      },
      { causationId: 'test' },
    );
    return onBus(account, source, detailType, detail);
  };
  type Handler = (event: unknown, context: unknown) => Promise<unknown>;

  it('does not fail a PROD bake on an alarm named for PROD in the HML account', async () => {
    const { ports, workflows } = portsWaitingOn([bakeWaitKey('orders-api', 'prod', 'us-east-1')]);
    const handle = failBakeOnAlarm.createHandler(ports as never) as Handler;
    await handle(prodAlarm(HML), context);
    expect(workflows.sendTaskFailure).not.toHaveBeenCalled();
    await handle(prodAlarm(PROD), context);
    expect(workflows.sendTaskFailure).toHaveBeenCalledOnce();
  });

  it('does not resume a PROD wave on Argo CD news the HML account put on the bus, and records why', async () => {
    const { ports, workflows, ignored } = portsWaitingOn([argoWaitKey('orders-api', 'prod', 'us-east-1')]);
    const handle = recordArgoStatus.createHandler(ports as never) as Handler;
    await handle(healthyInProd(HML), context);
    expect(workflows.sendTaskSuccess).not.toHaveBeenCalled();
    expect(ignored).toEqual([
      expect.stringContaining('it came from account 111111111111, and prod runs in 222222222222'),
    ]);
    await handle(healthyInProd(CONTROL), context);
    expect(workflows.sendTaskSuccess).toHaveBeenCalledOnce();
  });
});

/** alice's orders-api deployment, started, with its us-east-1 wave taken through `statuses`. */
function startedThrough(
  id: string,
  environment: Deployment['environment'],
  statuses: readonly WaveStatus[],
  changes: Partial<Wave>,
  now: string,
): Deployment {
  const started = transitionDeployment(
    manualDeployment({ id, environment, version: 'v1', now }).deployment,
    'IN_PROGRESS',
    { now, actor: 'flightplan', action: 'deployment.started', message: 'started' },
  ).deployment;
  return statuses.reduce<Deployment>(
    (current, status) =>
      transitionWave(current, 'us-east-1', status, {
        now,
        actor: 'flightplan',
        action: 'wave',
        message: status,
        changes,
      }).deployment,
    started,
  );
}

describe('completeDeployment', () => {
  const NOW = '2026-12-01T10:00:00.000Z';
  /** An HML deployment whose only wave passed its gate: what "Complete deployment" finds. */
  const deployed = (abortRequestedBy: string | null): Deployment => ({
    ...startedThrough('d-hml', 'hml', ['DEPLOYING', 'GATING', 'SUCCEEDED'], {}, NOW),
    digest: `sha256:${'a'.repeat(64)}`,
    abortRequestedBy,
  });
  function portsWith(deployment: Deployment) {
    let stored = deployment;
    const release = vi.fn(() => Promise.resolve());
    const deployments = {
      update: (_id: string, decide: (current: Deployment) => { deployment: Deployment } | undefined) => {
        stored = decide(stored)?.deployment ?? stored;
        return Promise.resolve(stored);
      },
    } as unknown as DeploymentStore;
    return {
      ports: { deployments, locks: { release } as unknown as LockStore, clock: { now: () => NOW } },
      stored: () => stored,
      release,
    };
  }

  it('ends a deployment SUCCEEDED when nobody asked to abort it', async () => {
    const { ports, stored } = portsWith(deployed(null));
    await completeDeployment(ports, { deploymentId: 'd-hml' });
    expect(stored().status).toBe('SUCCEEDED');
  });

  it('does not end SUCCEEDED, and so known-good, a deployment whose abort came in after its last gate', async () => {
    const { ports, stored, release } = portsWith(deployed('bob'));
    await expect(completeDeployment(ports, { deploymentId: 'd-hml' })).rejects.toMatchObject({
      name: 'DeploymentAbortedError',
    });
    expect(stored().status).toBe('IN_PROGRESS');
    expect(knownGoodReleases([stored()])).toEqual([]);
    // The rollback the Catch runs frees the lock; completing must not hand it on first.
    expect(release).not.toHaveBeenCalled();
  });
});

describe('recordArgoStatus with news out of order', () => {
  const NOW = '2026-12-01T10:00:00.000Z';
  const revision = 'c'.repeat(40);
  /** orders-api's PROD us-east-1 wave, baking at `revision` since 10:00. */
  const baking = (): Deployment =>
    startedThrough(
      'd-prod',
      'prod',
      ['DEPLOYING', 'GATING', 'BAKING'],
      { gitopsRevision: revision, digestAfter: `sha256:${'a'.repeat(64)}` },
      NOW,
    );
  const status = (healthStatus: string, observedAt: string) => ({
    app: 'orders-api-prod-use1',
    service: 'orders-api',
    environment: 'prod' as const,
    region: 'us-east-1',
    revision,
    syncStatus: 'Synced',
    healthStatus,
    trigger: 'on-health-degraded',
    observedAt,
    cluster: 'default',
    meta: { version: 1 as const, correlationId: 'c1', causationId: 'argocd:c1' },
  });

  /** The wait of d-prod's us-east-1 bake, and a workflow engine that records what it is told. */
  const bakingInUsEast1 = () => ({
    bakeWait: {
      key: bakeWaitKey('orders-api', 'prod', 'us-east-1'),
      taskToken: 'bake-token',
      deploymentId: 'd-prod',
      createdAt: NOW,
    } satisfies TaskWait,
    workflows: {
      sendTaskSuccess: vi.fn(() => Promise.resolve()),
      sendTaskFailure: vi.fn(() => Promise.resolve()),
    },
  });

  it('does not fail a bake on Degraded news older than the Healthy news already recorded, and records why', async () => {
    let stored = baking();
    const audit: string[] = [];
    const { bakeWait, workflows } = bakingInUsEast1();
    const latest = { ...status('Healthy', '2026-12-01T10:02:00.000Z') };
    const waits = {
      get: (key: string) => Promise.resolve(key === bakeWait.key ? bakeWait : undefined),
      take: () => Promise.resolve(true),
      // The store keeps the newest observation: a late, older one is not recorded.
      recordArgoObservation: (_key: string, observation: { observedAt: string }) =>
        Promise.resolve(observation.observedAt < latest.observedAt ? ('older' as const) : ('recorded' as const)),
      lastArgoObservation: () => Promise.resolve(latest),
    };
    const deployments = {
      get: () => Promise.resolve(stored),
      update: (
        _id: string,
        decide: (current: Deployment) => { deployment: Deployment; event: { message: string } },
      ) => {
        const change = decide(stored);
        stored = change.deployment;
        audit.push(change.event.message);
        return Promise.resolve(stored);
      },
    };
    // Degraded while the wave synced (after it started), delivered only now, after Healthy at 10:02.
    const outcome = await recordArgoStatusUseCase(
      {
        waits: waits as unknown as WaitStore,
        workflows: workflows as unknown as WorkflowEngine,
        deployments: deployments as unknown as DeploymentStore,
        clock: { now: () => '2026-12-01T10:05:00.000Z' },
        eventOrigins: { controlPlaneAccount: '000000000000' },
      },
      status('Degraded', '2026-12-01T10:01:00.000Z'),
      { account: '000000000000', region: 'us-east-1' },
    );
    expect(workflows.sendTaskFailure).not.toHaveBeenCalled();
    expect(outcome).toBe('stale');
    expect(audit.join('\n')).toContain('older than the latest Argo CD news');
  });

  it('does not let news dated in the future make the news that follows it look overtaken', async () => {
    const { bakeWait, workflows } = bakingInUsEast1();
    let recorded = '';
    const waits = {
      get: (key: string) => Promise.resolve(key === bakeWait.key ? bakeWait : undefined),
      take: () => Promise.resolve(true),
      recordArgoObservation: (_key: string, observation: { observedAt: string }) => {
        if (observation.observedAt < recorded) return Promise.resolve('older' as const);
        recorded = observation.observedAt;
        return Promise.resolve('recorded' as const);
      },
      lastArgoObservation: () => Promise.resolve(undefined),
    };
    const stored = baking();
    const depsAt = (now: string) => ({
      waits: waits as unknown as WaitStore,
      workflows: workflows as unknown as WorkflowEngine,
      deployments: {
        get: () => Promise.resolve(stored),
        update: () => Promise.resolve(stored),
      } as unknown as DeploymentStore,
      clock: { now: () => now },
      eventOrigins: { controlPlaneAccount: '000000000000' },
    });
    const origin = { account: '000000000000', region: 'us-east-1' };
    // A cluster whose clock runs a year ahead reports Healthy; the wave degrades two minutes later.
    await recordArgoStatusUseCase(
      depsAt('2026-12-01T10:03:00.000Z'),
      status('Healthy', '2027-12-01T10:03:00.000Z'),
      origin,
    );
    await recordArgoStatusUseCase(
      depsAt('2026-12-01T10:05:00.000Z'),
      status('Degraded', '2026-12-01T10:05:00.000Z'),
      origin,
    );
    expect(recorded).toBe('2026-12-01T10:05:00.000Z');
    expect(workflows.sendTaskFailure).toHaveBeenCalled();
  });
});

describe('abortDeployment during an inconclusive bake', () => {
  const NOW = '2026-12-01T10:00:00.000Z';

  it('fails the bake wait, and so starts the rollback, even when Slack is down for the question it voids', async () => {
    let stored = startedThrough('d-abort', 'prod', ['DEPLOYING', 'GATING', 'BAKING'], {}, NOW);
    const bakeWait: TaskWait = {
      key: bakeWaitKey('orders-api', 'prod', 'us-east-1'),
      taskToken: 'bake-token',
      deploymentId: stored.id,
      createdAt: NOW,
    };
    let question: Approval = {
      ...newApproval({
        id: bakeDecisionIdFor(stored.id, 'us-east-1'),
        policy: 'bake-decision',
        team: 'payments',
        requestedBy: 'flightplan',
        requesters: [{ personId: 'alice', name: 'alice', bot: false }],
        subject: { kind: 'bake', id: stored.id, summary: 'Continue?', binding: 'v1' },
        now: NOW,
      }),
      slack: { channel: '#deploys-payments', ts: '1.1' },
    };
    const workflows = {
      sendTaskSuccess: vi.fn(() => Promise.resolve()),
      sendTaskFailure: vi.fn(() => Promise.resolve()),
    };
    const deps = {
      deployments: {
        get: () => Promise.resolve(stored),
        update: (_id: string, decide: (current: Deployment) => { deployment: Deployment } | undefined) => {
          stored = decide(stored)?.deployment ?? stored;
          return Promise.resolve(stored);
        },
      } as unknown as DeploymentStore,
      catalog: { getPerson: () => Promise.resolve(undefined) } as unknown as CatalogStore,
      waits: {
        get: (key: string) => Promise.resolve(key === bakeWait.key ? bakeWait : undefined),
        take: () => Promise.resolve(true),
      } as unknown as WaitStore,
      workflows: workflows as unknown as WorkflowEngine,
      clock: { now: () => NOW },
      approvals: {
        get: (id: string) => Promise.resolve(id === question.id ? question : undefined),
        update: (_id: string, decide: (current: Approval) => { approval: Approval } | undefined) => {
          question = decide(question)?.approval ?? question;
          return Promise.resolve(question);
        },
      } as unknown as ApprovalStore,
      chat: { update: () => Promise.reject(new Error('Slack is down')) } as unknown as Chat,
    };

    await expect(abortDeployment(deps, { id: 'bob', name: 'bob', groups: ['payments'] }, stored.id)).rejects.toThrow(
      'Slack is down',
    );
    expect(workflows.sendTaskFailure).toHaveBeenCalledWith('bake-token', expect.any(String), 'Aborted by bob');
    expect(question.status).toBe('VOID');
  });
});
