import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { portalClient, startTestRuntime, type DeploymentView } from '../support/local-runtime.js';

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
const wave = (deployment: DeploymentView, region: string) => deployment.waves.find((candidate) => candidate.region === region);
const waitFor = (version: string, until?: (deployment: DeploymentView) => boolean) => portal.waitFor('orders-api', 'prod', version, until, 60_000);
const waitForId = (version: string, id: string, until: (deployment: DeploymentView) => boolean) =>
  portal.waitFor('orders-api', 'prod', version, (deployment) => deployment.id === id && until(deployment), 60_000);

async function publish(tag: string): Promise<Response> {
  const delivery = await signedDelivery(SECRET, 'release', releasePayload({ repository: 'acme/orders-api', tag, author: 'alice' }), randomUUID());
  return fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
}

/** alice publishes; bob approves once the approval is asked. */
async function release(tag: string): Promise<DeploymentView> {
  expect((await publish(tag)).status).toBe(202);
  const waiting = await waitFor(tag, (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0);
  expect((await portal.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, { decision: 'APPROVE' })).status).toBe(200);
  return waiting;
}

async function argoNotification(body: Record<string, unknown>, token = ARGO_TOKEN): Promise<Response> {
  return fetch(`${runtime.url}/webhooks/argocd`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      project: 'default',
      event: 'app-health-degraded',
      labels: { 'flightplan.io/service': 'orders-api', 'flightplan.io/environment': 'prod', 'flightplan.io/region': 'us-east-1' },
      syncStatus: 'Synced',
      healthStatus: 'Degraded',
      operationPhase: 'Succeeded',
      timestamp: new Date().toISOString(),
      ...body,
    }),
  });
}

const simAlarm = (body: Record<string, unknown>) => fetch(`${runtime.url}/local/sim/alarm`, { method: 'POST', body: JSON.stringify({ service: 'orders-api', region: 'us-east-1', ...body }) });

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
  });

  it('a stale Degraded notification for another revision does not fail the bake', async () => {
    const dayOld = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    expect((await argoNotification({ app: 'orders-api-prod-use1', revision: '0'.repeat(40), timestamp: dayOld })).status).toBe(202);
    const recorded = await waitFor('v1.0.0', (deployment) => ignored(deployment, 'is not the wave\'s GitOps revision') || wave(deployment, 'us-east-1')?.status !== 'BAKING');
    expect(wave(recorded, 'us-east-1')?.status).toBe('BAKING');
    expect(ignored(recorded, 'is not the wave\'s GitOps revision')).toBe(true);
  });

  it('a Degraded notification for the wave\'s revision observed before the wave started does not fail the bake', async () => {
    const beforeWave = new Date(Date.parse(wave(baking, 'us-east-1')?.startedAt ?? '') - 60_000).toISOString();
    await argoNotification({ app: 'orders-api-prod-use1', revision: wave(baking, 'us-east-1')?.gitopsRevision, timestamp: beforeWave });
    const recorded = await waitFor('v1.0.0', (deployment) => ignored(deployment, 'before the wave started') || wave(deployment, 'us-east-1')?.status !== 'BAKING');
    expect(wave(recorded, 'us-east-1')?.status).toBe('BAKING');
  });

  it('a foreign app name does not fail the bake', async () => {
    expect((await argoNotification({ app: 'payments-sandbox', revision: wave(baking, 'us-east-1')?.gitopsRevision })).status).toBe(202);
    const recorded = await waitFor('v1.0.0', (deployment) => ignored(deployment, 'payments-sandbox is not orders-api-prod-use1') || wave(deployment, 'us-east-1')?.status !== 'BAKING');
    expect(wave(recorded, 'us-east-1')?.status).toBe('BAKING');
  });

  it('an HML alarm does not fail a PROD bake', async () => {
    expect(wave(await waitFor('v1.0.0', () => true), 'us-east-1')?.status).toBe('BAKING');
    try {
      expect((await simAlarm({ environment: 'hml', alarmName: 'orders-api-hml-5xx', state: 'ALARM' })).status).toBe(200);
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
