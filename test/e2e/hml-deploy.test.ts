import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  pullRequestPayload,
  signedDelivery,
  type PullRequestDeliveryOptions,
} from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { SAFETY_NET_MS, startTestRuntime } from '../support/local-runtime.js';

const SECRET = 'local-github-secret';
const TERMINAL = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED'];

interface DeploymentView {
  id: string;
  status: string;
  version: string;
  digest: string | null;
  reason: string | null;
  waves: {
    region: string;
    status: string;
    digestBefore: string | null;
    digestAfter: string | null;
    gitopsRevision: string | null;
    startedAt: string | null;
    endedAt: string | null;
  }[];
  events: { action: string }[];
}

let runtime: LocalRuntime;
let stop: () => Promise<void>;
let token: string;

/** A head SHA whose 7-character version is unique per seed. */
const sha = (seed: number) => seed.toString(16).padStart(7, '0').padEnd(40, 'a');
const labeled = (overrides: Partial<PullRequestDeliveryOptions> = {}): PullRequestDeliveryOptions => ({
  repository: 'acme/orders-api',
  number: 42,
  headSha: sha(1),
  action: 'labeled',
  label: 'deploy-hml',
  labels: ['deploy-hml'],
  sender: 'alice',
  ...overrides,
});

async function postGithub(options: PullRequestDeliveryOptions, deliveryId?: string) {
  const delivery = await signedDelivery(SECRET, 'pull_request', pullRequestPayload(options), deliveryId);
  return fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${runtime.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

async function deploymentsOf(service = 'orders-api'): Promise<DeploymentView[]> {
  await runtime.bus.idle();
  return (await api<{ items: DeploymentView[] }>(`/v1/deployments?service=${service}&environment=hml&limit=100`)).items;
}

async function waitForDeployment(
  version: string,
  until: (deployment: DeploymentView) => boolean = (d) => TERMINAL.includes(d.status),
): Promise<DeploymentView> {
  const deadline = Date.now() + SAFETY_NET_MS;
  for (;;) {
    const summary = (await deploymentsOf()).find((item) => item.version === version);
    if (summary) {
      const deployment = await api<DeploymentView>(`/v1/deployments/${summary.id}`);
      if (until(deployment)) return deployment;
    }
    if (Date.now() > deadline) throw new Error(`deployment of ${version} did not finish: ${JSON.stringify(summary)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  token = await runtime.issuer.sign({ sub: 'alice' });
});

afterAll(async () => {
  await stop();
});

describe('deploy-hml label, end to end over HTTP', () => {
  it('deploys the head commit to HML, through GitOps and Argo CD, and ends SUCCEEDED', async () => {
    const response = await postGithub(labeled());
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ status: 'accepted' });

    const deployment = await waitForDeployment(sha(1).slice(0, 7));
    expect(deployment.status, deployment.reason ?? '').toBe('SUCCEEDED');
    expect(deployment.digest).toMatch(/^sha256:[0-9a-f]{64}$/u);
    const [wave] = deployment.waves;
    expect(wave).toMatchObject({
      region: 'us-east-1',
      status: 'SUCCEEDED',
      digestBefore: null,
      digestAfter: deployment.digest,
    });
    expect(wave?.gitopsRevision).toMatch(/^[0-9a-f]{40}$/u);
    expect(wave?.startedAt).not.toBeNull();
    expect(wave?.endedAt).not.toBeNull();
    expect(deployment.events.map((event) => event.action)).toEqual([
      'deployment.requested',
      'deployment.started',
      'artifact.resolved',
      'wave.deploying',
      'wave.gate-passed',
      'deployment.succeeded',
    ]);
    expect(
      await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' }),
    ).toBe(deployment.digest);

    const execution = runtime.workflows.list().find((item) => item.name === deployment.id);
    // The last task wrote SUCCEEDED; the execution ends a state later, so wait for it, not for time.
    expect((await runtime.workflows.waitFor(execution?.executionArn ?? '')).status).toBe('SUCCEEDED');
    expect(runtime.workflows.statesVisited(execution?.executionArn ?? '').map((visit) => visit.name)).toEqual([
      'Acquire deployment lock',
      'Resolve image digest',
      'Prepare approval',
      'Approval needed?',
      'Roll out waves',
      'Deploy wave',
      'Changed anything?',
      'Wait for Argo CD sync',
      'Health gate',
      'Bake this wave?',
      'Wave done',
      'Complete deployment',
      'Deployed',
    ]);
  });

  it('redeploys the new head on synchronize while the label is on, recording the digest it replaces', async () => {
    const previous = await runtime.gitops.readImageDigest({
      service: 'orders-api',
      environment: 'hml',
      region: 'us-east-1',
    });
    expect((await postGithub(labeled({ action: 'synchronize', headSha: sha(2) }))).status).toBe(202);
    const deployment = await waitForDeployment(sha(2).slice(0, 7));
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.waves[0]?.digestBefore).toBe(previous);
  });

  it('starts exactly one deployment for the same delivery sent twenty times at once', async () => {
    const before = (await deploymentsOf()).length;
    const delivery = await signedDelivery(SECRET, 'pull_request', pullRequestPayload(labeled({ headSha: sha(3) })));
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body }),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    await waitForDeployment(sha(3).slice(0, 7));
    expect((await deploymentsOf()).length).toBe(before + 1);
  });

  it('does not take HML back to an older commit when its signed label delivery is sent again under a new delivery id', async () => {
    const olderPayload = pullRequestPayload(labeled({ number: 43, headSha: sha(30) }));
    const older = await signedDelivery(SECRET, 'pull_request', olderPayload);
    const deliver = (delivery: { headers: Record<string, string>; body: string }) =>
      fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect((await deliver(older)).status).toBe(202);
    await waitForDeployment(sha(30).slice(0, 7));
    expect((await postGithub(labeled({ number: 43, headSha: sha(31), action: 'synchronize' }))).status).toBe(202);
    await waitForDeployment(sha(31).slice(0, 7));

    const replayed = await signedDelivery(SECRET, 'pull_request', olderPayload);
    expect(replayed.body).toBe(older.body);
    expect(replayed.headers['x-github-delivery']).not.toBe(older.headers['x-github-delivery']);
    expect((await deliver(replayed)).status).toBe(202);
    const deployments = await deploymentsOf();
    expect(deployments.filter((deployment) => deployment.version === sha(30).slice(0, 7))).toHaveLength(1);
    expect(deployments[0]?.version).toBe(sha(31).slice(0, 7));
  });

  it('does not take HML back to an older commit of a pull request when an older delivery comes after a newer one', async () => {
    // After an outage, "Redeliver" on each failed delivery in GitHub's settings sends them in any order.
    const newer = labeled({ number: 44, headSha: sha(41), action: 'synchronize', updatedAt: '2026-12-03T10:05:00Z' });
    const older = labeled({ number: 44, headSha: sha(40), updatedAt: '2026-12-03T10:00:00Z' });
    expect((await postGithub(newer)).status).toBe(202);
    await waitForDeployment(sha(41).slice(0, 7));

    expect((await postGithub(older)).status).toBe(202);
    const stale = await waitForDeployment(sha(40).slice(0, 7));
    expect(stale).toMatchObject({ status: 'SUPERSEDED', reason: expect.stringContaining('#44') as string });
    expect(stale.waves.map((wave) => wave.status)).toEqual(['SKIPPED']);
    expect(stale.events.map((event) => event.action)).toEqual(['deployment.superseded']);
    expect((await deploymentsOf()).find((deployment) => deployment.status === 'SUCCEEDED')?.version).toBe(
      sha(41).slice(0, 7),
    );
  });

  it('supersedes a running HML deployment with a newer one', async () => {
    runtime.argo.pause();
    await postGithub(labeled({ headSha: sha(4) }));
    await waitForDeployment(sha(4).slice(0, 7), (deployment) => deployment.waves[0]?.status === 'DEPLOYING');
    await postGithub(labeled({ action: 'synchronize', headSha: sha(5) }));
    await waitForDeployment(sha(4).slice(0, 7));
    runtime.argo.resume();
    const older = await waitForDeployment(sha(4).slice(0, 7));
    const newer = await waitForDeployment(sha(5).slice(0, 7));
    expect(older.status).toBe('SUPERSEDED');
    expect(older.reason).toContain(newer.id);
    expect(newer.status).toBe('SUCCEEDED');
    expect(
      await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' }),
    ).toBe(newer.digest);
  });

  it('fails the health gate of an unhealthy service and puts the previous digest back', async () => {
    const previous = await runtime.gitops.readImageDigest({
      service: 'orders-api',
      environment: 'hml',
      region: 'us-east-1',
    });
    const simulate = await fetch(`${runtime.url}/local/sim/health`, {
      method: 'POST',
      body: JSON.stringify({
        service: 'orders-api',
        environment: 'hml',
        region: 'us-east-1',
        healthy: true,
        errorRate: 0,
        p99Ms: 412,
      }),
    });
    expect(simulate.status).toBe(200);
    await postGithub(labeled({ headSha: sha(6) }));
    const deployment = await waitForDeployment(sha(6).slice(0, 7));
    await fetch(`${runtime.url}/local/sim/health`, {
      method: 'POST',
      body: JSON.stringify({ service: 'orders-api', environment: 'hml', region: 'us-east-1', healthy: true }),
    });
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toContain('p99 412 ms > 100 ms for T1');
    expect(deployment.waves[0]?.status).toBe('ROLLED_BACK');
    expect(
      await runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' }),
    ).toBe(previous);
  });
});

describe('bad input changes nothing', () => {
  const rawPost = (headers: Record<string, string>, body: string) =>
    fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers, body });

  it.each([
    [
      'a forged signature',
      async () => {
        const delivery = await signedDelivery(
          'not-the-secret',
          'pull_request',
          pullRequestPayload(labeled({ headSha: sha(90) })),
        );
        return rawPost(delivery.headers, delivery.body);
      },
      401,
      'unauthorized',
    ],
    [
      'no signature',
      async () => {
        const delivery = await signedDelivery(
          SECRET,
          'pull_request',
          pullRequestPayload(labeled({ headSha: sha(91) })),
        );
        const { ['x-hub-signature-256']: _signature, ...headers } = delivery.headers;
        return rawPost(headers, delivery.body);
      },
      401,
      'unauthorized',
    ],
    [
      'malformed JSON',
      async () => {
        const body = '{"action": ';
        const delivery = await signedDelivery(SECRET, 'pull_request', null);
        return rawPost({ ...delivery.headers, 'x-hub-signature-256': await sign(SECRET, body) }, body);
      },
      400,
      'validation',
    ],
    [
      'a payload that fails its schema',
      async () => {
        const delivery = await signedDelivery(SECRET, 'pull_request', { action: 'labeled', number: 'forty-two' });
        return rawPost(delivery.headers, delivery.body);
      },
      400,
      'validation',
    ],
    [
      'a body over 1 MiB',
      async () => {
        const delivery = await signedDelivery(SECRET, 'pull_request', { padding: 'x'.repeat(1024 * 1024 + 1) });
        return rawPost(delivery.headers, delivery.body);
      },
      413,
      'payload-too-large',
    ],
  ])('refuses %s', async (_name, send, status, problem) => {
    const before = await deploymentsOf();
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(((await response.json()) as { type: string }).type).toBe(`https://flightplan.dev/problems/${problem}`);
    expect(await deploymentsOf()).toEqual(before);
  });

  it.each([
    [
      'an unknown repository',
      labeled({ repository: 'acme/unknown', headSha: sha(92) }),
      'not in the Flightplan catalog',
    ],
    ['another label', labeled({ label: 'bug', headSha: sha(93) }), 'is not deploy-hml'],
    ['a closed pull request', labeled({ state: 'closed', headSha: sha(94) }), 'is closed'],
  ])('acknowledges and ignores %s', async (_name, options, reason) => {
    const before = await deploymentsOf();
    const response = await postGithub(options);
    expect(response.status).toBe(202);
    const body = (await response.json()) as { status: string; reason: string };
    expect(body.status).toBe('ignored');
    expect(body.reason).toContain(reason);
    expect(await deploymentsOf()).toEqual(before);
  });

  it('refuses the portal API without a valid token', async () => {
    expect((await fetch(`${runtime.url}/v1/deployments`)).status).toBe(401);
    expect(
      (await fetch(`${runtime.url}/v1/deployments`, { headers: { authorization: 'Bearer not.a.jwt' } })).status,
    ).toBe(401);
  });

  it('answers 404 problem+json for a deployment that does not exist', async () => {
    const response = await fetch(`${runtime.url}/v1/deployments/nope`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { type: string }).type).toBe('https://flightplan.dev/problems/not-found');
  });

  it('refuses an Argo CD notification without the bearer token', async () => {
    const response = await fetch(`${runtime.url}/webhooks/argocd`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(401);
  });
});
