import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusHealthSource } from '../../functions/adapters/prometheus/prometheus-health-source.js';
import type { HealthSignals } from '../../functions/ports/index.js';
import { pullRequestPayload, releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.js';
import { portalClient, slackMessageFor } from '../support/local-runtime.js';
import { freePort, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

const SECRET = 'local-github-secret';
let runtime: LocalRuntime;
let prometheus: RunningPrometheus;
/** Whatever beforeAll got to start, stopped in reverse even when a later step failed. */
const stoppers: (() => Promise<void>)[] = [];

const simHealth = (body: Record<string, unknown>) =>
  fetch(`${runtime.url}/local/sim/health`, {
    method: 'POST',
    body: JSON.stringify({ service: 'orders-api', healthy: true, ...body }),
  });
const observe = (environment: 'hml' | 'prod', region: string): Promise<HealthSignals> =>
  runtime.deps.health.observe({ service: 'orders-api', environment, region });

/** Instant queries Prometheus has answered, from its own /metrics: proof the gates asked it. */
async function queriesAnswered(): Promise<number> {
  const text = await (await fetch(`${prometheus.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('prometheus_http_requests_total{') && line.includes('handler="/api/v1/query"'))
    .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
}

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-prometheus-test-'));
  stoppers.push(() => rm(dataDir, { recursive: true, force: true }));
  const prometheusPort = await freePort();
  runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    inMemory: true,
    timeScale: 600,
    prometheusUrl: `http://127.0.0.1:${prometheusPort}`,
  });
  stoppers.push(() => runtime.stop());
  prometheus = await startPrometheus({
    port: prometheusPort,
    scrapeSeconds: 1,
    scrape: { jobName: 'flightplan-sim', metricsPath: '/local/sim/metrics', target: `127.0.0.1:${runtime.port}` },
  });
  stoppers.push(() => prometheus.stop());
  // The first scrapes with data: a rate needs two samples, so wait until one answers.
  await prometheus.until(
    'the first scrape of the simulator with traffic',
    async () => ((await prometheus.query('sum(rate(http_requests_total{service="orders-api"}[5s]))')) ?? 0) > 0,
  );
}, 120_000);

afterAll(async () => {
  for (const stop of stoppers.reverse()) await stop();
});

describe('health gates and bakes through PromQL, against a real Prometheus', () => {
  it('serves the simulated traffic as counters and a latency histogram labelled by service, environment and region', async () => {
    const response = await fetch(`${runtime.url}/local/sim/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(
      /^http_requests_total\{service="orders-api",environment="prod",region="sa-east-1",code="500"\} /mu,
    );
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{service="catalog-web",environment="hml",region="us-east-1",le="\+Inf"\} /mu,
    );
    expect(runtime.deps.health).toBeInstanceOf(PrometheusHealthSource);
  });

  it('SlowP99FailsHmlGate: the HML gate reads a slow p99 from Prometheus and fails the wave', async () => {
    expect((await simHealth({ environment: 'hml', region: 'us-east-1', errorRate: 0, p99Ms: 800 })).status).toBe(200);
    await prometheus.until(
      'PromQL to see the slow p99',
      async () => ((await observe('hml', 'us-east-1')).p99Ms ?? 0) > 700,
    );
    const asked = await queriesAnswered();

    const delivery = await signedDelivery(
      SECRET,
      'pull_request',
      pullRequestPayload({
        repository: 'acme/orders-api',
        number: 7,
        headSha: 'b'.repeat(40),
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
      }),
    );
    expect(
      (
        await fetch(`${runtime.url}/webhooks/github`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        })
      ).status,
    ).toBe(202);
    const portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'alice' }));
    const deployment = await portal.waitFor('orders-api', 'hml', 'bbbbbbb');

    // Its first deploy: nothing to restore, so the deployment ends FAILED rather than ROLLED_BACK.
    expect(deployment.status).toBe('FAILED');
    expect(deployment.events.find((event) => event.action === 'wave.gate-failed')?.message).toMatch(
      /^us-east-1 failed its health gate: p99 \d+ ms > 100 ms for T1$/u,
    );
    expect(await queriesAnswered()).toBeGreaterThan(asked);
  });

  it('TooLittleTrafficMakesBakeInconclusive: the end of the us-east-1 bake counts requests with PromQL and asks a human', async () => {
    expect((await simHealth({ environment: 'prod', region: 'us-east-1', requestCount: 12 })).status).toBe(200);
    await prometheus.until(
      'PromQL to see the traffic drop',
      async () => ((await observe('prod', 'us-east-1')).requestCount ?? Infinity) < 100,
    );
    const asked = await queriesAnswered();

    const delivery = await signedDelivery(
      SECRET,
      'release',
      releasePayload({ repository: 'acme/orders-api', tag: 'v9.0.0', author: 'alice' }),
    );
    expect(
      (
        await fetch(`${runtime.url}/webhooks/github`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        })
      ).status,
    ).toBe(202);
    const bob = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
    const waiting = await bob.waitFor(
      'orders-api',
      'prod',
      'v9.0.0',
      (item) => item.status === 'AWAITING_APPROVAL' && item.approvals.length > 0,
    );
    expect(
      (await bob.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
    const asking = await bob.waitFor('orders-api', 'prod', 'v9.0.0', (item) =>
      item.events.some((event) => event.action === 'wave.bake-inconclusive'),
    );

    expect(asking.waves[0]).toMatchObject({
      region: 'us-east-1',
      status: 'BAKING',
      reason: expect.stringMatching(/only \d+ requests during the bake, 1000 needed for T1/u) as unknown,
    });
    expect(await queriesAnswered()).toBeGreaterThan(asked);
    // The question is stored by the approval workflow a moment later: vote once it is posted.
    const questionId = `${asking.id}.bake-us-east-1`;
    await slackMessageFor(runtime, questionId);
    const carol = portalClient(runtime, await runtime.issuer.sign({ sub: 'carol' }));
    expect(
      (await carol.request('POST', `/v1/approvals/${encodeURIComponent(questionId)}/votes`, { decision: 'REJECT' }))
        .status,
    ).toBe(200);
    const ended = await bob.waitFor('orders-api', 'prod', 'v9.0.0');
    expect(ended.status).toBe('FAILED');
    expect(ended.reason).toContain('inconclusive bake');
  });
});
