import autocannon from 'autocannon';
import { releasePayload, signedDelivery } from '../infra/local/github-payloads.js';
import { signedBlockAction } from '../infra/local/slack-payloads.js';
import { round, waitUntil, withRuntime, type BenchResult } from './support.js';

const CONCURRENCY = [1, 10, 50];
const SECONDS = 4;

async function load(
  url: string,
  connections: number,
  request: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
) {
  const result = await autocannon({ url, connections, duration: SECONDS, ...request });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    errors: result.errors + result.non2xx,
  };
}

/**
 * Latency and throughput of the two ingress routes with a deadline on the sender's side (GitHub
 * 10 s, Slack 3 s), on the local runtime, against GET /healthz as the server's own floor.
 * The GitHub request is a signed `ping` (verify, parse, decide); the Slack request is a signed
 * click that the policy refuses (verify, directory lookup, conditional read, audit write).
 */
export async function ingressBench(): Promise<BenchResult> {
  return withRuntime(600, async (runtime) => {
    const ping = await signedDelivery('local-github-secret', 'ping', { zen: 'Keep it logically awesome.', hook_id: 1 });
    const release = await signedDelivery(
      'local-github-secret',
      'release',
      releasePayload({ repository: 'acme/orders-api', tag: 'v0.0.1-bench', author: 'alice' }),
    );
    await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: release.headers, body: release.body });
    const approvalId = await waitUntil(
      async () => (await runtime.deps.approvals.listByStatus('PENDING', { limit: 1 })).items[0]?.id,
      10_000,
    );
    const click = signedBlockAction({
      signingSecret: 'local-slack-secret',
      slackUserId: 'UALICE',
      actionId: 'approve',
      approvalId,
    });

    const targets = [
      { route: 'GET /healthz (baseline)', path: '/healthz', request: { method: 'GET' as const } },
      {
        route: 'POST /webhooks/github',
        path: '/webhooks/github',
        request: { method: 'POST' as const, headers: ping.headers, body: ping.body },
      },
      {
        route: 'POST /slack/interactions',
        path: '/slack/interactions',
        request: { method: 'POST' as const, headers: click.headers, body: click.body },
      },
    ];
    const rows: BenchResult['rows'] = [];
    for (const target of targets) {
      for (const connections of CONCURRENCY) {
        const measured = await load(`${runtime.url}${target.path}`, connections, target.request);
        rows.push({
          route: target.route,
          concurrency: connections,
          'p50 ms': measured.p50,
          'p99 ms': measured.p99,
          'req/s': round(measured.rps),
          errors: measured.errors,
        });
      }
    }
    return {
      name: 'ingress',
      description: `${SECONDS} s per row with autocannon on the local runtime (2 cores, DynamoDB Local); Slack allows 3000 ms`,
      rows,
    };
  });
}
