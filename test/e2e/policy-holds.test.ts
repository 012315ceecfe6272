import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { bakeWaitKey } from '../../functions/domain/locking.js';
import { TERMINAL, portalClient, startTestRuntime, type DeploymentView } from '../support/local-runtime.js';

/**
 * Issue 15: nothing reaches production outside its policy. Each attack is one named case. The
 * runtime runs at 60x so a PROD bake lasts 30 s: long enough for the attacks sent during it to
 * land on a busy machine, and every wait below is for a condition, never for a duration.
 */
const TIME_SCALE = 60;
const SECRET = 'local-github-secret';
const ARGO_TOKEN = 'local-argocd-token';
let runtime: LocalRuntime;
let stop: () => Promise<void>;
let portal: ReturnType<typeof portalClient>;

const live = (region: string) => runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'prod', region });
const wave = (deployment: DeploymentView, region: string) =>
  deployment.waves.find((candidate) => candidate.region === region);
const waitFor = (version: string, until?: (deployment: DeploymentView) => boolean) =>
  portal.waitFor('orders-api', 'prod', version, until, 60_000);
const waitForId = (version: string, id: string, until: (deployment: DeploymentView) => boolean) =>
  portal.waitFor('orders-api', 'prod', version, (deployment) => deployment.id === id && until(deployment), 60_000);

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const statesOf = (deploymentId: string) =>
  runtime.workflows
    .statesVisited(runtime.workflows.list().find((execution) => execution.name === deploymentId)?.executionArn ?? '')
    .map((visit) => visit.name);

async function publish(tag: string): Promise<Response> {
  const delivery = await signedDelivery(
    SECRET,
    'release',
    releasePayload({ repository: 'acme/orders-api', tag, author: 'alice' }),
    randomUUID(),
  );
  return fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
}

/** alice publishes; bob approves once the approval is asked. */
async function release(tag: string): Promise<DeploymentView> {
  expect((await publish(tag)).status).toBe(202);
  const waiting = await waitFor(
    tag,
    (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
  );
  expect(
    (await portal.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, { decision: 'APPROVE' }))
      .status,
  ).toBe(200);
  return waiting;
}

async function argoNotification(body: Record<string, unknown>, token = ARGO_TOKEN): Promise<Response> {
  return fetch(`${runtime.url}/webhooks/argocd`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      project: 'default',
      event: 'app-health-degraded',
      labels: {
        'flightplan.io/service': 'orders-api',
        'flightplan.io/environment': 'prod',
        'flightplan.io/region': 'us-east-1',
      },
      syncStatus: 'Synced',
      healthStatus: 'Degraded',
      operationPhase: 'Succeeded',
      timestamp: new Date().toISOString(),
      ...body,
    }),
  });
}

const simAlarm = (body: Record<string, unknown>) =>
  fetch(`${runtime.url}/local/sim/alarm`, {
    method: 'POST',
    body: JSON.stringify({ service: 'orders-api', region: 'us-east-1', ...body }),
  });

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime(TIME_SCALE));
  portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
});

afterAll(async () => {
  await stop();
});

describe('a PROD bake fails only on evidence about its own wave', () => {
  let baking: DeploymentView;
  const ignored = (deployment: DeploymentView, reason: string) =>
    deployment.events.some((event) => event.action === 'wave.evidence-ignored' && event.message.includes(reason));

  beforeAll(async () => {
    await release('v1.0.0');
    baking = await waitFor('v1.0.0', (deployment) => wave(deployment, 'us-east-1')?.status === 'BAKING');
    // The gate marks the wave BAKING a step before the bake parks its task token; evidence sent in
    // between finds no bake to judge, so the attacks below wait until it is parked.
    const bakeKey = bakeWaitKey('orders-api', 'prod', 'us-east-1');
    await until(async () => (await runtime.deps.waits.get(bakeKey))?.deploymentId === baking.id, 60_000);
  });

  it('a stale Degraded notification for another revision does not fail the bake', async () => {
    const dayOld = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    expect(
      (await argoNotification({ app: 'orders-api-prod-use1', revision: '0'.repeat(40), timestamp: dayOld })).status,
    ).toBe(202);
    const recorded = await waitFor(
      'v1.0.0',
      (deployment) =>
        ignored(deployment, "is not the wave's GitOps revision") || wave(deployment, 'us-east-1')?.status !== 'BAKING',
    );
    expect(wave(recorded, 'us-east-1')?.status).toBe('BAKING');
    expect(ignored(recorded, "is not the wave's GitOps revision")).toBe(true);
  });

  it("a Degraded notification for the wave's revision observed before the wave started does not fail the bake", async () => {
    const beforeWave = new Date(Date.parse(wave(baking, 'us-east-1')?.startedAt ?? '') - 60_000).toISOString();
    await argoNotification({
      app: 'orders-api-prod-use1',
      revision: wave(baking, 'us-east-1')?.gitopsRevision,
      timestamp: beforeWave,
    });
    const recorded = await waitFor(
      'v1.0.0',
      (deployment) =>
        ignored(deployment, 'before the wave started') || wave(deployment, 'us-east-1')?.status !== 'BAKING',
    );
    expect(wave(recorded, 'us-east-1')?.status).toBe('BAKING');
  });

  it('a foreign app name does not fail the bake', async () => {
    expect(
      (await argoNotification({ app: 'payments-sandbox', revision: wave(baking, 'us-east-1')?.gitopsRevision })).status,
    ).toBe(202);
    const recorded = await waitFor(
      'v1.0.0',
      (deployment) =>
        ignored(deployment, 'payments-sandbox is not orders-api-prod-use1') ||
        wave(deployment, 'us-east-1')?.status !== 'BAKING',
    );
    expect(wave(recorded, 'us-east-1')?.status).toBe('BAKING');
  });

  it('an HML alarm does not fail a PROD bake', async () => {
    expect(wave(await waitFor('v1.0.0', () => true), 'us-east-1')?.status).toBe('BAKING');
    try {
      expect((await simAlarm({ environment: 'hml', alarmName: 'orders-api-hml-5xx', state: 'ALARM' })).status).toBe(
        200,
      );
      await runtime.bus.idle();
      const deployment = await waitFor('v1.0.0');
      expect(deployment.status, deployment.reason ?? '').toBe('SUCCEEDED');
      expect(deployment.events.map((event) => event.action)).toContain('wave.baked');
      expect(await live('sa-east-1')).toBe(deployment.digest);
    } finally {
      await simAlarm({ environment: 'hml', alarmName: 'orders-api-hml-5xx', state: 'OK' });
    }
  });
});

describe('a rollback goes back only to what was good', () => {
  it('rollback to a never-released version is refused with 409 listing known-good versions', async () => {
    const response = await portal.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'prod',
      version: 'never-released-build-123',
      mode: 'rollback',
    });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { type: string; knownGoodVersions: string[] };
    expect(problem.type).toBe('https://flightplan.dev/problems/rollback-not-known-good');
    expect(problem.knownGoodVersions).toEqual(['v1.0.0']);
    expect(
      (await portal.list('orders-api', 'prod')).some((deployment) => deployment.version === 'never-released-build-123'),
    ).toBe(false);
  });

  it('a rollback to a version that never SUCCEEDED in that environment is refused too', async () => {
    const response = await portal.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'hml',
      version: 'v1.0.0',
      mode: 'rollback',
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { knownGoodVersions: string[] }).knownGoodVersions).toEqual([]);
  });
});

describe('an execution stopped outside Flightplan', () => {
  it('a stopped execution frees the lock and ends ABORTED', async () => {
    await release('v1.2.0');
    const baking = await waitFor('v1.2.0', (deployment) => wave(deployment, 'us-east-1')?.status === 'BAKING');
    const execution = runtime.workflows.list().find((candidate) => candidate.name === baking.id);
    // What StopExecution from the Step Functions console does: no Catch runs.
    await runtime.workflows.stop(execution?.executionArn ?? '', 'Operator', 'Stopped from the console');
    const deployment = await waitFor('v1.2.0', (item) => TERMINAL.includes(item.status));
    expect(deployment.status).toBe('ABORTED');
    expect(deployment.reason).toContain('its execution was stopped (Operator: Stopped from the console)');
    expect(deployment.events.at(-1)?.message).toContain(`us-east-1 may still run ${baking.digest ?? ''}`);
    await runtime.bus.idle();
    expect(await runtime.deps.locks.get('orders-api#prod')).toBeUndefined();
  });

  it('a rollback deploys the digests the known-good deployment recorded, keeps the gates, skips approval and bake, and tells #platform-team', async () => {
    const good = (await portal.list('orders-api', 'prod')).find(
      (item) => item.version === 'v1.0.0' && item.status === 'SUCCEEDED',
    );
    expect(await live('us-east-1')).not.toBe(good?.digest);
    const response = await portal.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'prod',
      version: 'v1.0.0',
      mode: 'rollback',
    });
    expect(response.status).toBe(202);
    const { deploymentId } = (await response.json()) as { deploymentId: string };
    const deployment = await waitForId('v1.0.0', deploymentId, (item) => TERMINAL.includes(item.status));
    expect(deployment.status, deployment.reason ?? '').toBe('SUCCEEDED');
    expect(deployment.digest).toBe(good?.digest);
    expect(await live('us-east-1')).toBe(good?.digest);
    expect(await live('sa-east-1')).toBe(good?.digest);
    expect(deployment.events[0]).toMatchObject({
      action: 'deployment.rollback-requested',
      message: expect.stringContaining(`the digests ${good?.id ?? ''} recorded`),
    });
    expect(deployment.events.map((event) => event.action)).not.toContain('artifact.resolved');
    const states = statesOf(deployment.id);
    expect(states).not.toContain('Bake');
    expect(states).not.toContain('Wait for approval');
    expect(states.filter((state) => state === 'Health gate')).toHaveLength(2);
    await runtime.bus.idle();
    const platform = runtime.chat.messages.filter(
      (message) => message.channel === '#platform-team' && message.text.includes(deployment.id),
    );
    expect(platform.map((message) => message.text)).toEqual([
      expect.stringContaining('Rollback of orders-api in prod to v1.0.0'),
      expect.stringContaining('is live in prod'),
    ]);
  });
});

describe('notifications are sent once per transition', () => {
  it('a redelivered Deployment Changed event posts once', async () => {
    await runtime.bus.idle();
    const original = runtime.bus.published.find((event) => {
      const detail = event.detail as {
        deployment: { version: string; id: string };
        change: { action: string; region?: string };
      };
      return (
        event['detail-type'] === 'Deployment Changed' &&
        detail.deployment.version === 'v1.0.0' &&
        detail.change.action === 'wave.gate-passed' &&
        detail.change.region === 'sa-east-1'
      );
    });
    expect(original).toBeDefined();
    const detail = original?.detail as { deployment: { id: string } };
    const posted = () =>
      runtime.chat.messages.filter(
        (message) =>
          message.text.includes('sa-east-1 passed its health gate') && message.text.includes(detail.deployment.id),
      ).length;
    const statuses = () =>
      runtime.github.deployments.find((item) => item.ref === 'v1.0.0' && item.environment === 'prod-sa-east-1')
        ?.statuses.length;
    const [postedBefore, statusesBefore] = [posted(), statuses()];
    expect(postedBefore).toBe(1);
    // EventBridge delivers at least once, and an archive replay delivers again: the same transition, twice.
    await runtime.bus.publish([
      { source: original?.source ?? '', detailType: original?.['detail-type'] ?? '', detail: original?.detail ?? {} },
    ]);
    await runtime.bus.idle();
    expect(posted()).toBe(postedBefore);
    expect(statuses()).toBe(statusesBefore);
  });
});

describe('locks have leases', () => {
  it('an expired lease lets the next deployment take the lock', async () => {
    const lease = runtime.deps.locks.leaseSeconds;
    // One real second: the holder waits for an approval nobody gives and never renews it.
    runtime.deps.locks.leaseSeconds = 1;
    try {
      expect((await publish('v1.3.0')).status).toBe(202);
      const holder = await waitFor(
        'v1.3.0',
        (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
      );
      expect((await publish('v1.4.0')).status).toBe(202);
      const next = await waitFor('v1.4.0', (deployment) => deployment.status === 'AWAITING_APPROVAL');
      const superseded = await waitForId('v1.3.0', holder.id, (deployment) => TERMINAL.includes(deployment.status));
      expect(superseded.status).toBe('SUPERSEDED');
      expect(superseded.reason).toContain('lock lease expired');
      expect((await runtime.deps.locks.get('orders-api#prod'))?.deploymentId).toBe(next.id);

      // Leave nothing running for the shutdown: answer the superseded holder's approval, abort the new holder.
      expect(
        (await portal.request('POST', `/v1/approvals/${holder.approvals[0]?.id ?? ''}/votes`, { decision: 'REJECT' }))
          .status,
      ).toBe(200);
      expect((await portal.request('POST', `/v1/deployments/${next.id}/abort`)).status).toBe(202);
      expect((await waitForId('v1.4.0', next.id, (deployment) => TERMINAL.includes(deployment.status))).status).toBe(
        'ABORTED',
      );
      await until(() => runtime.workflows.list().every((execution) => execution.status !== 'RUNNING'));
    } finally {
      runtime.deps.locks.leaseSeconds = lease;
    }
  });
});
