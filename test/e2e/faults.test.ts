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
  expect(
    (await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body }))
      .status,
  ).toBe(202);
}

interface ProvisioningView {
  id: string;
  status: string;
  failureReason: string | null;
  approval: { id: string } | null;
  pullRequest: { number: number } | null;
}

async function waitForRequest(
  client: ReturnType<typeof portalClient>,
  id: string,
  until: (request: ProvisioningView) => boolean,
): Promise<ProvisioningView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const request = await client.get<ProvisioningView>(`/v1/provisioning-requests/${id}`);
    if (until(request)) return request;
    if (Date.now() > deadline)
      throw new Error(`Provisioning request ${id} did not reach the expected state: ${JSON.stringify(request)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * npm start's entry point in its own process group, as a terminal runs it; kill() SIGKILLs the
 * whole group, DynamoDB Local's JVM included, with no chance to clean up.
 */
async function startNpmStart(dataDir: string, timeScale: number): Promise<{ url: string; kill: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
    detached: true,
    stdio: 'ignore',
    env: {
      ...process.env,
      FLIGHTPLAN_PORT: String(port),
      FLIGHTPLAN_DATA_DIR: dataDir,
      FLIGHTPLAN_TIME_SCALE: String(timeScale),
    },
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${String(port)}`;
  const deadline = Date.now() + 120_000;
  while (
    !(await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error('npm start did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    kill: async () => {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
      await exited;
    },
  };
}

describe('faults', () => {
  it('rolls back when the Argo CD notification never comes (the sync wait times out)', async () => {
    const { runtime, stop } = await startTestRuntime();
    try {
      const portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
      const sha = (seed: string) => seed.padEnd(40, '0');
      await post(
        runtime,
        'pull_request',
        pullRequestPayload({
          repository: 'acme/orders-api',
          number: 1,
          headSha: sha('aaaaaaa'),
          action: 'labeled',
          label: 'deploy-hml',
          labels: ['deploy-hml'],
          sender: 'alice',
        }),
      );
      await portal.waitFor('orders-api', 'hml', 'aaaaaaa');
      const good = await runtime.gitops.readImageDigest({
        service: 'orders-api',
        environment: 'hml',
        region: 'us-east-1',
      });

      runtime.argo.pause();
      await post(
        runtime,
        'pull_request',
        pullRequestPayload({
          repository: 'acme/orders-api',
          number: 1,
          headSha: sha('bbbbbbb'),
          action: 'synchronize',
          labels: ['deploy-hml'],
          sender: 'alice',
        }),
      );
      // 15 minutes at 600x: the wait gives up after 1.5 s and the rollback begins.
      await portal.waitFor(
        'orders-api',
        'hml',
        'bbbbbbb',
        (deployment) => deployment.waves[0]?.status === 'ROLLING_BACK',
      );
      runtime.argo.resume();
      const deployment = await portal.waitFor('orders-api', 'hml', 'bbbbbbb');
      expect(deployment.status).toBe('ROLLED_BACK');
      expect(deployment.reason).toBe('Argo CD did not report the commit synced and healthy within 15 minutes');
      expect(
        await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' }),
      ).toBe(good);
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
      await post(
        runtime,
        'pull_request',
        pullRequestPayload({
          repository: 'acme/orders-api',
          number: 2,
          headSha: 'c'.repeat(40),
          action: 'labeled',
          label: 'deploy-hml',
          labels: ['deploy-hml'],
          sender: 'alice',
        }),
      );
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
      await post(
        runtime,
        'pull_request',
        pullRequestPayload({
          repository: 'acme/orders-api',
          number: 3,
          headSha: 'd'.repeat(40),
          action: 'labeled',
          label: 'deploy-hml',
          labels: ['deploy-hml'],
          sender: 'alice',
        }),
      );
      expect((await portal.waitFor('orders-api', 'hml', 'ddddddd')).status).toBe('SUCCEEDED');
      const good = await runtime.gitops.readImageDigest({
        service: 'orders-api',
        environment: 'hml',
        region: 'us-east-1',
      });

      runtime.faults.addFunctionFault({ function: 'runHealthGate', kind: kind as 'throw' | 'timeout', times: 1 });
      await post(
        runtime,
        'pull_request',
        pullRequestPayload({
          repository: 'acme/orders-api',
          number: 3,
          headSha: 'e'.repeat(40),
          action: 'synchronize',
          labels: ['deploy-hml'],
          sender: 'alice',
        }),
      );
      const deployment = await portal.waitFor('orders-api', 'hml', 'eeeeeee');
      expect(deployment.status).toBe('ROLLED_BACK');
      expect(deployment.reason).toContain(reason);
      expect(
        await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' }),
      ).toBe(good);
      expect(await runtime.deps.locks.get('orders-api#hml')).toBeUndefined();
    } finally {
      await stop();
    }
  });

  it('resumes a PROD deployment baking when npm start was killed (SIGKILL), then runs the release queued behind it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-restart-'));
    try {
      // 200x: the 30-minute bake lasts 9 s, long enough to be killed in the middle of it.
      const first = await startNpmStart(dataDir, 200);
      const bob = portalClient({ url: first.url }, await (await LocalIssuer.open(dataDir)).sign({ sub: 'bob' }));
      await post(first, 'release', releasePayload({ repository: 'acme/orders-api', tag: 'v7.0.0', author: 'alice' }));
      const waiting = await bob.waitFor(
        'orders-api',
        'prod',
        'v7.0.0',
        (deployment) => deployment.approvals.length > 0,
      );
      expect(
        (
          await bob.request('POST', `/v1/approvals/${encodeURIComponent(waiting.approvals[0]?.id ?? '')}/votes`, {
            decision: 'APPROVE',
          })
        ).status,
      ).toBe(200);
      await bob.waitFor('orders-api', 'prod', 'v7.0.0', (deployment) => deployment.waves[0]?.status === 'BAKING');
      await post(first, 'release', releasePayload({ repository: 'acme/orders-api', tag: 'v7.0.1', author: 'alice' }));
      await bob.waitFor('orders-api', 'prod', 'v7.0.1', (deployment) => deployment.status === 'QUEUED');
      const baking = await bob.waitFor('orders-api', 'prod', 'v7.0.0', () => true);
      expect(baking.waves[0]?.status).toBe('BAKING');
      await first.kill();

      const second = await startLocalRuntime({ port: 0, dataDir, timeScale: 200 });
      try {
        const again = portalClient(second, await second.issuer.sign({ sub: 'bob' }));
        const resumed = await again.waitFor('orders-api', 'prod', 'v7.0.0', undefined, 60_000);
        expect(resumed.status, JSON.stringify(resumed.events.slice(-3))).toBe('SUCCEEDED');
        expect(resumed.waves.map((wave) => [wave.region, wave.status])).toEqual([
          ['us-east-1', 'SUCCEEDED'],
          ['sa-east-1', 'SUCCEEDED'],
        ]);
        // It continued where it was: us-east-1 was deployed and baked once, not started again.
        // The record says SUCCEEDED one step before the execution reaches its Succeed state.
        let execution = await again.get<{
          status: string;
          events: { type: string; stateEnteredEventDetails?: { name: string } }[];
        }>(`/v1/deployments/${resumed.id}/execution`);
        while (execution.status === 'RUNNING') {
          await new Promise((resolve) => setTimeout(resolve, 25));
          execution = await again.get<typeof execution>(`/v1/deployments/${resumed.id}/execution`);
        }
        expect(execution.status).toBe('SUCCEEDED');
        const entered = (name: string) =>
          execution.events.filter(
            (event) => event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name === name,
          ).length;
        expect([entered('Acquire deployment lock'), entered('Deploy wave'), entered('Bake')]).toEqual([1, 2, 1]);

        const next = await again.waitFor(
          'orders-api',
          'prod',
          'v7.0.1',
          (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
          60_000,
        );
        expect(
          (
            await again.request('POST', `/v1/approvals/${encodeURIComponent(next.approvals[0]?.id ?? '')}/votes`, {
              decision: 'APPROVE',
            })
          ).status,
        ).toBe(200);
        const succeeded = await again.waitFor('orders-api', 'prod', 'v7.0.1', undefined, 90_000);
        expect(succeeded.status, JSON.stringify(succeeded.events.slice(-3))).toBe('SUCCEEDED');
        expect(await second.deps.locks.get('orders-api#prod')).toBeUndefined();
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    }
  }, 300_000);

  it('resumes a provisioning request waiting for its merge when npm start was killed (SIGKILL): the merge after the restart completes it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-restart-'));
    try {
      const first = await startNpmStart(dataDir, 600);
      const issuer = await LocalIssuer.open(dataDir);
      const alice = portalClient({ url: first.url }, await issuer.sign({ sub: 'alice' }));
      const bob = portalClient({ url: first.url }, await issuer.sign({ sub: 'bob' }));
      const accepted = (await (
        await alice.request('POST', '/v1/provisioning-requests', {
          service: 'orders-api',
          environment: 'hml',
          region: 'us-east-1',
          type: 'sqs',
          name: 'restart-queue',
          reason: 'survives a restart',
        })
      ).json()) as { id: string };
      const awaitingApproval = await waitForRequest(
        alice,
        accepted.id,
        (request) => request.status === 'AWAITING_APPROVAL' && request.approval !== null,
      );
      expect(
        (
          await bob.request('POST', `/v1/approvals/${encodeURIComponent(awaitingApproval.approval?.id ?? '')}/votes`, {
            decision: 'APPROVE',
          })
        ).status,
      ).toBe(200);
      const open = await waitForRequest(alice, accepted.id, (request) => request.status === 'PR_OPEN');
      await first.kill();

      const second = await startLocalRuntime({ port: 0, dataDir, timeScale: 600 });
      try {
        const again = portalClient(second, await second.issuer.sign({ sub: 'alice' }));
        expect((await waitForRequest(again, accepted.id, () => true)).status).toBe('PR_OPEN');
        const merged = await fetch(
          `${second.url}/local/github/pull-requests/${String(open.pullRequest?.number)}/merge`,
          { method: 'POST', body: JSON.stringify({ by: 'carol' }) },
        );
        expect(merged.status).toBe(200);
        const completed = await waitForRequest(
          again,
          accepted.id,
          (request) => request.status === 'COMPLETED' || request.status === 'FAILED',
        );
        expect(completed.status, completed.failureReason ?? '').toBe('COMPLETED');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    }
  }, 300_000);
});
