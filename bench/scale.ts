import { randomUUID } from 'node:crypto';
import { pullRequestPayload, signedDelivery } from '../infra/local/github-payloads.js';
import { pool, round, waitUntil, withRuntime, type BenchResult } from './support.js';

const DELIVERIES = 1000;
const SERVICES = 50;
const DUPLICATE_SHARE = 0.2;
const CONCURRENCY = 50;

/**
 * 1,000 deliveries across 50 services, 20% of them redelivered, 50 in flight at a time: exactly
 * the unique deliveries become deployments, however they interleave.
 */
export async function scaleBench(): Promise<BenchResult> {
  return withRuntime(600, async (runtime) => {
    for (let index = 2; index < SERVICES; index += 1) {
      const name = `svc-${String(index).padStart(2, '0')}`;
      await runtime.deps.catalog.putService({
        name,
        repository: `acme/${name}`,
        team: 'payments',
        tier: 'T3',
        imageRepository: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${name}`,
        status: 'ACTIVE',
        revision: 0,
      });
    }
    const repositories = [
      'acme/orders-api',
      'acme/catalog-web',
      ...Array.from({ length: SERVICES - 2 }, (_, index) => `acme/svc-${String(index + 2).padStart(2, '0')}`),
    ];
    const unique = Math.round(DELIVERIES * (1 - DUPLICATE_SHARE));
    const originals = await Promise.all(
      Array.from({ length: unique }, (_, index) =>
        signedDelivery(
          'local-github-secret',
          'pull_request',
          pullRequestPayload({
            repository: repositories[index % SERVICES] ?? 'acme/orders-api',
            number: index + 1,
            headSha: index.toString(16).padStart(40, 'b'),
            action: 'labeled',
            label: 'deploy-hml',
            labels: ['deploy-hml'],
            sender: 'bob',
          }),
          randomUUID(),
        ),
      ),
    );
    const deliveries = [...originals, ...originals.slice(0, DELIVERIES - unique)].sort(() => Math.random() - 0.5);
    const started = performance.now();
    const statuses = await pool(
      deliveries,
      CONCURRENCY,
      async (delivery) =>
        (
          await fetch(`${runtime.url}/webhooks/github`, {
            method: 'POST',
            headers: delivery.headers,
            body: delivery.body,
          })
        ).status,
    );
    const acceptedMs = performance.now() - started;
    await runtime.bus.idle();
    const count = async () => {
      let total = 0;
      let cursor: string | undefined;
      do {
        const page = await runtime.deps.deployments.list({}, { limit: 100, ...(cursor ? { cursor } : {}) });
        total += page.items.length;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return total;
    };
    const deployments = await waitUntil(
      async () => {
        const total = await count();
        return total >= unique ? total : undefined;
      },
      120_000,
      200,
    );
    const recordedMs = performance.now() - started;
    return {
      name: 'scale',
      description: `${DELIVERIES} GitHub deliveries across ${SERVICES} services, ${DUPLICATE_SHARE * 100}% duplicates, ${CONCURRENCY} at a time, on the local runtime`,
      rows: [
        {
          deliveries: DELIVERIES,
          'expected deployments': unique,
          'deployments created': deployments,
          'non-202 answers': statuses.filter((status) => status !== 202).length,
          'all answered (s)': round(acceptedMs / 1000, 2),
          'all recorded (s)': round(recordedMs / 1000, 2),
        },
      ],
    };
  });
}
