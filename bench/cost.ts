import { randomUUID } from 'node:crypto';
import { FUNCTIONS, type FunctionId } from '../infra/system.js';
import { pullRequestPayload, releasePayload, signedDelivery } from '../infra/local/github-payloads.js';
import type { LocalRuntime } from '../infra/local/runtime.js';
import { median, round, waitUntil, withRuntime, type BenchResult } from './support.js';

/** Public us-east-1 list prices used below (USD). */
export const PRICES = {
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  /** arm64, per GB-second. */
  lambdaPerGbSecond: 0.0000133334,
  dynamoDbPerWriteRequestUnit: 0.625 / 1_000_000,
  eventBridgePerEvent: 1 / 1_000_000,
};
/** An assumed average run time per invocation; the functions are I/O-bound and short. */
const ASSUMED_LAMBDA_MS = 120;

const TERMINAL = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED'];

async function finished(runtime: LocalRuntime, service: string, environment: 'hml' | 'prod', version: string) {
  return waitUntil(async () => {
    const page = await runtime.deps.deployments.list({ service, environment }, { limit: 50 });
    const deployment = page.items.find((item) => item.version === version);
    return deployment && TERMINAL.includes(deployment.status) ? deployment : undefined;
  }, 60_000);
}

function snapshot(runtime: LocalRuntime) {
  const transitions = runtime.workflows
    .list()
    .reduce((sum, execution) => sum + runtime.workflows.statesVisited(execution.executionArn).length, 0);
  const invocations = Object.values(runtime.usage.invocations).reduce((sum, count) => sum + count, 0);
  const memory = (Object.entries(runtime.usage.invocations) as [FunctionId, number][]).reduce(
    (sum, [id, count]) => sum + count * FUNCTIONS[id].memoryMb,
    0,
  );
  return {
    transitions,
    invocations,
    memoryMbInvocations: memory,
    writeUnits: runtime.usage.dynamoWriteItems + 2 * runtime.usage.dynamoTransactionItems,
    events: runtime.bus.published.length,
  };
}

const delta = (after: ReturnType<typeof snapshot>, before: ReturnType<typeof snapshot>) => ({
  transitions: after.transitions - before.transitions,
  invocations: after.invocations - before.invocations,
  memoryMbInvocations: after.memoryMbInvocations - before.memoryMbInvocations,
  writeUnits: after.writeUnits - before.writeUnits,
  events: after.events - before.events,
});

function usd(shape: ReturnType<typeof delta>): number {
  return (
    shape.transitions * PRICES.stepFunctionsPerTransition +
    shape.invocations * PRICES.lambdaPerRequest +
    (shape.memoryMbInvocations / 1024) * (ASSUMED_LAMBDA_MS / 1000) * PRICES.lambdaPerGbSecond +
    shape.writeUnits * PRICES.dynamoDbPerWriteRequestUnit +
    shape.events * PRICES.eventBridgePerEvent
  );
}

/**
 * What one deployment costs, counted by the local runner (state transitions), the runtime
 * (function invocations, DynamoDB write units: a transaction item counts twice) and the bus.
 * Baseline: the same PROD rollout if the 30-minute bake polled health every minute (a Wait, a
 * health Task and a Choice per minute) instead of one task-token wait that alarms can fail.
 * Also measured: alarm-to-first-rollback-commit during a bake.
 */
export async function costBench(): Promise<BenchResult> {
  return withRuntime(600, async (runtime) => {
    const send = async (eventName: string, payload: unknown) => {
      const delivery = await signedDelivery('local-github-secret', eventName, payload, randomUUID());
      await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    };
    const approve = async (version: string) => {
      const approvalId = await waitUntil(
        async () =>
          (await runtime.deps.approvals.listByStatus('PENDING', { limit: 10 })).items.find((item) =>
            item.subject.summary.includes(version),
          )?.id,
        20_000,
      );
      const bob = await runtime.issuer.sign({ sub: 'bob' });
      await fetch(`${runtime.url}/v1/approvals/${encodeURIComponent(approvalId)}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bob}` },
        body: JSON.stringify({ decision: 'APPROVE' }),
      });
    };

    let before = snapshot(runtime);
    await send(
      'pull_request',
      pullRequestPayload({
        repository: 'acme/orders-api',
        number: 1,
        headSha: 'c0ffee'.padEnd(40, '0'),
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
      }),
    );
    await finished(runtime, 'orders-api', 'hml', 'c0ffee0');
    await runtime.bus.idle();
    const hml = delta(snapshot(runtime), before);

    before = snapshot(runtime);
    await send('release', releasePayload({ repository: 'acme/orders-api', tag: 'v5.0.0', author: 'alice' }));
    await approve('v5.0.0');
    await finished(runtime, 'orders-api', 'prod', 'v5.0.0');
    await runtime.bus.idle();
    const prod = delta(snapshot(runtime), before);
    const bakeMinutes = 30;
    const polling = {
      ...prod,
      transitions: prod.transitions - 2 + bakeMinutes * 3,
      invocations: prod.invocations - 1 + bakeMinutes,
      memoryMbInvocations: prod.memoryMbInvocations - 256 + bakeMinutes * 256,
    };

    before = snapshot(runtime);
    const alice = await runtime.issuer.sign({ sub: 'alice' });
    const submitted = await fetch(`${runtime.url}/v1/provisioning-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}` },
      body: JSON.stringify({
        service: 'orders-api',
        environment: 'prod',
        region: 'us-east-1',
        type: 'sqs',
        name: 'bench-queue',
      }),
    });
    const { id: requestId } = (await submitted.json()) as { id: string };
    const approvalId = await waitUntil(
      async () => (await runtime.deps.provisioning.get(requestId))?.approvalId ?? undefined,
      20_000,
    );
    await waitUntil(
      async () => ((await runtime.deps.approvals.get(approvalId))?.status === 'PENDING' ? true : undefined),
      20_000,
    );
    for (const voter of ['bob', 'carol']) {
      const token = await runtime.issuer.sign({ sub: voter });
      await fetch(`${runtime.url}/v1/approvals/${encodeURIComponent(approvalId)}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ decision: 'APPROVE' }),
      });
    }
    const pullRequest = await waitUntil(
      async () => (await runtime.deps.provisioning.get(requestId))?.pullRequest?.number,
      20_000,
    );
    await fetch(`${runtime.url}/local/github/pull-requests/${String(pullRequest)}/merge`, {
      method: 'POST',
      body: JSON.stringify({ by: 'dave' }),
    });
    await waitUntil(
      async () => ((await runtime.deps.provisioning.get(requestId))?.status === 'COMPLETED' ? true : undefined),
      20_000,
    );
    await runtime.bus.idle();
    const provisioning = delta(snapshot(runtime), before);

    const detection: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const version = `v5.1.${attempt}`;
      await send('release', releasePayload({ repository: 'acme/orders-api', tag: version, author: 'alice' }));
      await approve(version);
      await waitUntil(async () => {
        const page = await runtime.deps.deployments.list({ service: 'orders-api', environment: 'prod' }, { limit: 5 });
        return page.items.find((item) => item.version === version)?.waves[0]?.status === 'BAKING' ? true : undefined;
      }, 30_000);
      // The bake's token is parked right after the wave turns BAKING; give that step its moment.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const head = await runtime.gitops.head();
      const alarmedAt = performance.now();
      await fetch(`${runtime.url}/local/sim/alarm`, {
        method: 'POST',
        body: JSON.stringify({ service: 'orders-api', region: 'us-east-1', state: 'ALARM' }),
      });
      await waitUntil(async () => ((await runtime.gitops.changesSince(head)).length > 0 ? true : undefined), 10_000, 2);
      detection.push(performance.now() - alarmedAt);
      await finished(runtime, 'orders-api', 'prod', version);
      await fetch(`${runtime.url}/local/sim/alarm`, {
        method: 'POST',
        body: JSON.stringify({ service: 'orders-api', region: 'us-east-1', state: 'OK' }),
      });
    }

    const row = (design: string, shape: ReturnType<typeof delta>) => ({
      workflow: design,
      'state transitions': shape.transitions,
      'Lambda invocations': shape.invocations,
      'DynamoDB write units': shape.writeUnits,
      'bus events': shape.events,
      'USD per run': round(usd(shape), 6),
    });
    return {
      name: 'cost',
      description: `Per deployment and per provisioning request, counted on the local runtime; USD at public us-east-1 prices (${JSON.stringify(PRICES)}; ${ASSUMED_LAMBDA_MS} ms per invocation assumed). Alarm during bake → first rollback commit: median ${round(median(detection))} ms (runs: ${detection.map((ms) => round(ms)).join(', ')})`,
      rows: [
        row('HML deployment (1 wave)', hml),
        row('PROD deployment (2 waves, approval, 30-min bake)', prod),
        row('PROD deployment, baseline: bake polls health every minute', polling),
        row('PROD provisioning request (policy, 2 approvals, Terraform PR, merge, apply)', provisioning),
      ],
      details: { hml, prod, polling, provisioning, detectionMs: detection, prices: PRICES },
    };
  });
}
