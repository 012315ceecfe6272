import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pullRequestPayload, releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import { freePort } from '../../infra/local/dynamodb-local.js';
import { LocalIssuer } from '../../infra/local/local-issuer.js';
import { startLocalRuntime } from '../../infra/local/runtime.js';
import { portalClient, startTestRuntime } from '../support/local-runtime.js';

async function post(runtime: { url: string }, eventName: string, payload: unknown) {
  const delivery = await signedDelivery('local-github-secret', eventName, payload);
  expect((await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body })).status).toBe(202);
}

describe('faults', () => {
  it('rolls back when the Argo CD notification never comes (the sync wait times out)', async () => {
    const { runtime, stop } = await startTestRuntime();
    try {
      const portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
      const sha = (seed: string) => seed.padEnd(40, '0');
      await post(runtime, 'pull_request', pullRequestPayload({ repository: 'acme/orders-api', number: 1, headSha: sha('aaaaaaa'), action: 'labeled', label: 'deploy-hml', labels: ['deploy-hml'], sender: 'alice' }));
      await portal.waitFor('orders-api', 'hml', 'aaaaaaa');
      const good = await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' });

      runtime.argo.pause();
      await post(runtime, 'pull_request', pullRequestPayload({ repository: 'acme/orders-api', number: 1, headSha: sha('bbbbbbb'), action: 'synchronize', labels: ['deploy-hml'], sender: 'alice' }));
      // 15 minutes at 600x: the wait gives up after 1.5 s and the rollback begins.
      await portal.waitFor('orders-api', 'hml', 'bbbbbbb', (deployment) => deployment.waves[0]?.status === 'ROLLING_BACK');
      runtime.argo.resume();
      const deployment = await portal.waitFor('orders-api', 'hml', 'bbbbbbb');
      expect(deployment.status).toBe('ROLLED_BACK');
      expect(deployment.reason).toBe('Argo CD did not report the commit synced and healthy within 15 minutes');
      expect(await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' })).toBe(good);
    } finally {
      await stop();
    }
  });

  it('absorbs Lambda throttling (workflow Retry) and DynamoDB throttling (SDK retries) and still deploys', async () => {
    // The SDK's throttling back-off is real time, not scaled: at 60x the Argo CD wait (15 s) outlasts it.
    const { runtime, stop } = await startTestRuntime(60);
    try {
      const portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
      const arm = async (path: string, body: unknown) => {
        const response = await fetch(`${runtime.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
        expect(response.status).toBe(200);
      };
      await arm('/local/faults/functions', { function: 'deployWave', kind: 'throttle', times: 2 });
      await arm('/local/faults/dynamodb', { requests: 12 });
      await post(runtime, 'pull_request', pullRequestPayload({ repository: 'acme/orders-api', number: 2, headSha: 'c'.repeat(40), action: 'labeled', label: 'deploy-hml', labels: ['deploy-hml'], sender: 'alice' }));
      const deployment = await portal.waitFor('orders-api', 'hml', 'ccccccc');
      expect(deployment.status, JSON.stringify(deployment.events)).toBe('SUCCEEDED');
      expect(runtime.faults.injected).toEqual({ functions: 2, dynamoDbThrottles: 12 });
      expect(runtime.usage.invocations.deployWave).toBe(3);
      // Each state change was written once: the retried writes did not duplicate the audit trail.
      expect(deployment.events.filter((event) => event.action === 'deployment.succeeded')).toHaveLength(1);
    } finally {
      await stop();
    }
  });

  it.each([
    ['throws', 'throw', 'Injected failure in runHealthGate'],
    ['runs past its timeout', 'timeout', 'Task timed out after 30.00 seconds'],
  ])('rolls back and records why when a task Lambda %s', async (_case, kind, reason) => {
    const { runtime, stop } = await startTestRuntime();
    try {
      const portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
      await post(runtime, 'pull_request', pullRequestPayload({ repository: 'acme/orders-api', number: 3, headSha: 'd'.repeat(40), action: 'labeled', label: 'deploy-hml', labels: ['deploy-hml'], sender: 'alice' }));
      expect((await portal.waitFor('orders-api', 'hml', 'ddddddd')).status).toBe('SUCCEEDED');
      const good = await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' });

      runtime.faults.addFunctionFault({ function: 'runHealthGate', kind: kind as 'throw' | 'timeout', times: 1 });
      await post(runtime, 'pull_request', pullRequestPayload({ repository: 'acme/orders-api', number: 3, headSha: 'e'.repeat(40), action: 'synchronize', labels: ['deploy-hml'], sender: 'alice' }));
      const deployment = await portal.waitFor('orders-api', 'hml', 'eeeeeee');
      expect(deployment.status).toBe('ROLLED_BACK');
      expect(deployment.reason).toContain(reason);
      expect(await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' })).toBe(good);
      expect(await runtime.deps.locks.get('orders-api#hml')).toBeUndefined();
    } finally {
      await stop();
    }
  });

  it('leaves nothing half-done without a record when the local runtime is killed (SIGKILL) mid-rollout and started again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-restart-'));
    try {
      const port = await freePort();
      // npm start's entry point in its own process group, so the kill takes DynamoDB Local's JVM with it.
      const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, FLIGHTPLAN_PORT: String(port), FLIGHTPLAN_DATA_DIR: dataDir, FLIGHTPLAN_TIME_SCALE: '600' },
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const url = `http://127.0.0.1:${String(port)}`;
      for (let attempt = 0; attempt < 600; attempt += 1) {
        if (await fetch(`${url}/healthz`).then((response) => response.ok, () => false)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const issuer = await LocalIssuer.open(dataDir);
      const first = portalClient({ url }, await issuer.sign({ sub: 'bob' }));
      await post({ url }, 'release', releasePayload({ repository: 'acme/orders-api', tag: 'v7.0.0', author: 'alice' }));
      const waiting = await first.waitFor('orders-api', 'prod', 'v7.0.0', (deployment) => deployment.approvals.length > 0);
      await first.request('POST', `/v1/approvals/${encodeURIComponent(waiting.approvals[0]?.id ?? '')}/votes`, { decision: 'APPROVE' });
      await first.waitFor('orders-api', 'prod', 'v7.0.0', (deployment) => deployment.waves[0]?.status === 'BAKING');
      process.kill(-(child.pid ?? 0), 'SIGKILL');
      await exited;

      const second = await startLocalRuntime({ port: 0, dataDir, timeScale: 600 });
      try {
        const again = portalClient(second, await second.issuer.sign({ sub: 'bob' }));
        const interrupted = await again.waitFor('orders-api', 'prod', 'v7.0.0');
        expect(interrupted.status).toBe('FAILED');
        expect(interrupted.reason).toContain('interrupted by a local runtime restart');
        expect(interrupted.events.at(-1)?.message).toContain('check the GitOps repository');
        expect(await second.deps.locks.get('orders-api#prod')).toBeUndefined();

        await post(second, 'release', releasePayload({ repository: 'acme/orders-api', tag: 'v7.0.1', author: 'alice' }));
        const next = await again.waitFor('orders-api', 'prod', 'v7.0.1', (deployment) => deployment.status === 'AWAITING_APPROVAL');
        expect(next.status).toBe('AWAITING_APPROVAL');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    }
  });

  it('ends self-service requests interrupted by a restart FAILED, with what is left to clean up, and frees their names', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-restart-'));
    try {
      const first = await startLocalRuntime({ port: 0, dataDir, timeScale: 600 });
      const alice = portalClient(first, await first.issuer.sign({ sub: 'alice' }));
      const body = { service: 'orders-api', environment: 'hml', region: 'us-east-1', type: 'sqs', name: 'restart-queue' };
      const accepted = (await (await alice.request('POST', '/v1/provisioning-requests', body)).json()) as { id: string };
      for (let attempt = 0; attempt < 200; attempt += 1) {
        if ((await first.deps.provisioning.get(accepted.id))?.status === 'AWAITING_APPROVAL') break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await first.deps.catalog.createService({
        service: { name: 'restart-svc', repository: 'acme/restart-svc', team: 'payments', tier: 'T3', imageRepository: 'registry/restart-svc', status: 'CREATING', revision: 0 },
        event: { at: new Date().toISOString(), actor: 'alice', action: 'service.requested', message: 'asked' },
      });
      await first.stop();

      const second = await startLocalRuntime({ port: 0, dataDir, timeScale: 600 });
      try {
        expect(await second.deps.provisioning.get(accepted.id)).toMatchObject({ status: 'FAILED', failureReason: 'interrupted by a local runtime restart' });
        expect(await second.deps.catalog.getService('restart-svc')).toMatchObject({ status: 'FAILED' });
        const again = portalClient(second, await second.issuer.sign({ sub: 'alice' }));
        expect((await again.request('POST', '/v1/provisioning-requests', body)).status).toBe(202);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
