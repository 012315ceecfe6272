import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { releasePayload, signedDelivery } from '../infra/local/github-payloads.js';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime.js';
import { pool, round, waitUntil, type BenchResult } from './support.js';

const DEPLOYMENTS = 50;
const TIME_SCALE = 600;

const serviceName = (index: number) => `restart-${String(index).padStart(3, '0')}`;

async function awaitingApproval(runtime: LocalRuntime): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await runtime.deps.deployments.list({}, { limit: 100, ...(cursor ? { cursor } : {}) });
    for (const deployment of page.items) if (deployment.status === 'AWAITING_APPROVAL') ids.push(deployment.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

/** The first start is not measured: on a busy machine DynamoDB Local may miss its 30 s to come up, so it gets three tries. */
async function startWithRetries(dataDir: string): Promise<LocalRuntime> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startLocalRuntime({ port: 0, dataDir, timeScale: TIME_SCALE });
    } catch (error) {
      if (attempt >= 3) throw error;
      console.log(`  the first start failed (${(error as Error).message}); trying again`);
    }
  }
}

/**
 * 50 PROD releases waiting for their approval (each a deployment execution and its approval
 * child: 100 executions in flight), the runtime stopped and started again on the same data: how
 * long until everything is running where it was, and until a vote cast after the restart moves
 * its deployment on.
 */
export async function restartBench(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-bench-restart-'));
  try {
    console.log('  starting the first runtime…');
    const first = await startWithRetries(dataDir);
    console.log(`  ${String(DEPLOYMENTS)} releases…`);
    let inFlight = 0;
    try {
      for (let index = 0; index < DEPLOYMENTS; index += 1) {
        const name = serviceName(index);
        await first.deps.catalog.putService({
          name,
          repository: `acme/${name}`,
          team: 'payments',
          tier: 'T3',
          imageRepository: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${name}`,
          status: 'ACTIVE',
          revision: 0,
        });
      }
      await pool(
        Array.from({ length: DEPLOYMENTS }, (_, index) => index),
        10,
        async (index) => {
          const delivery = await signedDelivery(
            'local-github-secret',
            'release',
            releasePayload({ repository: `acme/${serviceName(index)}`, tag: 'v1.0.0', author: 'alice' }),
          );
          await fetch(`${first.url}/webhooks/github`, {
            method: 'POST',
            headers: delivery.headers,
            body: delivery.body,
          });
        },
      );
      await waitUntil(
        async () => ((await awaitingApproval(first)).length === DEPLOYMENTS ? true : undefined),
        300_000,
        200,
      );
      // Every approval workflow is parked on its votes.
      await waitUntil(
        async () => {
          const approvals = first.workflows.list().filter((execution) => execution.stateMachine === 'approval');
          if (approvals.length < DEPLOYMENTS) return undefined;
          const histories = await Promise.all(
            approvals.map((execution) => first.workflows.getExecutionHistory(execution.executionArn)),
          );
          return histories.every((history) => history.some((event) => event.type === 'TaskSubmitted'))
            ? true
            : undefined;
        },
        300_000,
        500,
      );
      inFlight = (await first.workflows.listExecutions({ status: 'RUNNING' })).length;
    } finally {
      await first.stop();
    }

    console.log(`  ${String(inFlight)} executions in flight; restarting…`);
    const restarted = performance.now();
    const second = await startLocalRuntime({ port: 0, dataDir, timeScale: TIME_SCALE });
    const readyMs = performance.now() - restarted;
    try {
      const [id = ''] = await awaitingApproval(second);
      const voted = performance.now();
      const bob = await second.issuer.sign({ sub: 'bob' });
      const vote = await fetch(`${second.url}/v1/approvals/${encodeURIComponent(`${id}.approval`)}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'APPROVE' }),
      });
      if (vote.status !== 200) throw new Error(`The vote after the restart was answered ${String(vote.status)}`);
      await waitUntil(
        async () => ((await second.deps.deployments.get(id))?.status === 'IN_PROGRESS' ? true : undefined),
        60_000,
        10,
      );
      const movedOnMs = performance.now() - voted;
      return {
        name: 'restart',
        description: `${DEPLOYMENTS} PROD releases waiting for approval (${String(inFlight)} executions in flight), the local runtime stopped and started again on the same data (DynamoDB Local on disk, ${String(TIME_SCALE)}x)`,
        rows: [
          {
            'executions in flight': inFlight,
            resumed: second.resumed.resumed,
            'restart to ready (s)': round(readyMs / 1000, 2),
            'of which resuming (ms)': second.resumed.milliseconds,
            'vote after restart → IN_PROGRESS (ms)': round(movedOnMs, 0),
          },
        ],
      };
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
  }
}
