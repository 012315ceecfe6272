import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { DEMO_CATALOG_AUTHOR, pushCatalogInfo, type DemoRepository } from '../../infra/local/demo-catalog.js';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.js';
import { signedBlockAction } from '../../infra/local/slack-payloads.js';
import { startTwin, type TwinRuntime } from '../../infra/twin/runtime.js';

export const TERMINAL = ['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED'];

export interface DeploymentView {
  id: string;
  status: string;
  version: string;
  environment: string;
  digest: string | null;
  reason: string | null;
  abortRequestedBy: string | null;
  approvals: { id: string; status: string; votes: { voter: string; decision: string }[] }[];
  waves: {
    region: string;
    status: string;
    bakeSeconds: number;
    digestBefore: string | null;
    digestAfter: string | null;
    gitopsRevision: string | null;
    startedAt: string | null;
    endedAt: string | null;
    reason: string | null;
  }[];
  events: { at: string; action: string; message: string; region?: string }[];
}

/**
 * What the e2e scenarios run against: `local` is `npm start` (the sources, local adapters),
 * `twin` is `npm run twin` (the cloud assembly, AWS adapters, IAM enforced). The e2e-twin
 * vitest project sets FLIGHTPLAN_E2E_RUNTIME=twin.
 */
export type RuntimeKind = 'local' | 'twin';
export const RUNTIME_KIND: RuntimeKind = process.env['FLIGHTPLAN_E2E_RUNTIME'] === 'twin' ? 'twin' : 'local';

/**
 * The twin's time runs 50x, not 600x: a warm invocation through the twin's endpoints (IAM checked,
 * DynamoDB Local, HTTP) takes up to a few hundred ms on a loaded 2-core machine, and the chain that
 * answers the 900 s Argo CD sync timeout (await-sync, the Argo CD webhook, the status recorder)
 * must fit in 900 s / scale. Cold starts are not in that chain: every function starts warm.
 * Not below 47x: LocalWorkflowEngine's default task timeout (99,999,999 s) divided by the scale
 * must fit setTimeout's 32 bits, or every Task without TimeoutSeconds times out at once.
 */
export const TWIN_TIME_SCALE = 50;

/**
 * How long a scenario polls for a state before it gives up: a safety net just inside the test's
 * own timeout (vitest.config.ts), never a margin a busy machine must beat. The twin cold-starts
 * real bundles in workers, as Lambda does, so its tests get longer.
 */
export const SAFETY_NET_MS = RUNTIME_KIND === 'twin' ? 540_000 : 150_000;

/**
 * The twin seen through the runtime interface the scenarios use. What only exists in the local
 * runtime's process (its dependencies, fault injection, usage counters) is refused by name.
 */
function asTestRuntime(twin: Awaited<ReturnType<typeof startTwin>>): LocalRuntime {
  const localOnly = (name: string) => () => {
    throw new Error(`runtime.${name} exists only in the local runtime; the twin runs the cloud assembly`);
  };
  const view = {
    url: twin.url,
    port: twin.port,
    dataDir: twin.dataDir,
    timeScale: twin.timeScale,
    issuer: twin.issuer,
    gitops: twin.gitops,
    github: twin.github,
    chat: twin.chat,
    health: twin.health,
    argo: twin.argo,
    workflows: twin.workflows,
    bus: twin.bus,
    dynamoDbEndpoint: twin.endpoints.dynamodb,
    stop: () => twin.stop(),
  };
  for (const name of ['deps', 'faults', 'usage']) Object.defineProperty(view, name, { get: localOnly(name) });
  return view as unknown as LocalRuntime;
}

/** FLIGHTPLAN_TWIN_LOG=<file> keeps the twin's log (denials, function errors, states) of a test run. */
function twinLog(): ((line: string) => void) | undefined {
  const file = process.env['FLIGHTPLAN_TWIN_LOG'];
  return file
    ? (line) => {
        appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
      }
    : undefined;
}

/**
 * Side by side, prod-rollout's HappyPath, AlarmDuringBake and queue scenarios wait for Argo CD's
 * sync (900 s, 18 s at 50x) at about the same time: each link of that chain gets an environment
 * per deployment.
 */
export const TWIN_PREWARM_ENVIRONMENTS = { awaitArgoSync: 3, argocdWebhook: 3, recordArgoStatus: 3 };

/**
 * A twin started for the test files of this process. Provisioned concurrency for every function:
 * a cold start takes seconds on a loaded machine, which scaled time would count as minutes
 * against the workflows' timeouts.
 */
async function startTestTwinRuntime(dataDir: string, timeScale: number): Promise<TwinRuntime> {
  return startTwin({
    port: 0,
    dataDir,
    inMemory: true,
    timeScale: Math.min(timeScale, TWIN_TIME_SCALE),
    prewarm: true,
    prewarmEnvironments: TWIN_PREWARM_ENVIRONMENTS,
    log: twinLog(),
  });
}

/**
 * With FLIGHTPLAN_TWIN_SHARED=1 (the e2e-twin project, whose files share one worker process with
 * `isolate: false`), the files share one twin: started and warmed once, on the first file's
 * request. No file stops it; it lives as long as the worker, and every file works with its own
 * services, so none depends on what another left behind.
 */
const TWIN_SHARED = process.env['FLIGHTPLAN_TWIN_SHARED'] === '1';
let sharedTwin: Promise<TwinRuntime> | undefined;

function theSharedTwin(timeScale: number): Promise<TwinRuntime> {
  sharedTwin ??= (async () => {
    // Vitest ends its worker with SIGTERM, and SIGKILL half a second later; by default SIGTERM
    // skips 'exit' listeners. Exiting on it runs them: startDynamoDb's kills DynamoDB Local's Java
    // process at once. Worker threads end with the process; twin-run.ts removes the data after.
    process.once('SIGTERM', () => process.exit(143));
    return startTestTwinRuntime(join(inject('twinDataRoot'), 'twin'), timeScale);
  })();
  return sharedTwin.then((twin) => {
    if (twin.timeScale !== Math.min(timeScale, TWIN_TIME_SCALE))
      throw new Error(`The shared twin runs at ${twin.timeScale}x; a file asked for ${timeScale}x`);
    return twin;
  });
}

/**
 * The twin itself, for tests about the twin: the shared one (stopping it leaves it running for the
 * next file, once its events are delivered) or, run outside the e2e-twin project, one of its own.
 */
export async function startTestTwin(
  timeScale = TWIN_TIME_SCALE,
): Promise<{ twin: TwinRuntime; stop: () => Promise<void> }> {
  if (TWIN_SHARED) {
    const twin = await theSharedTwin(timeScale);
    return { twin, stop: () => twin.bus.idle() };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-test-'));
  const twin = await startTestTwinRuntime(dataDir, timeScale);
  return {
    twin,
    stop: async () => {
      await twin.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A runtime for one test file, of RUNTIME_KIND: DynamoDB in memory, data in a temp dir, 600x time (the twin: 50x). */
export async function startTestRuntime(
  timeScale = 600,
  kind: RuntimeKind = RUNTIME_KIND,
): Promise<{ runtime: LocalRuntime; stop: () => Promise<void> }> {
  if (kind === 'twin') {
    const { twin, stop } = await startTestTwin(timeScale);
    return { runtime: asTestRuntime(twin), stop };
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-test-'));
  const runtime = await startLocalRuntime({ port: 0, dataDir, inMemory: true, timeScale });
  return {
    runtime,
    stop: async () => {
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers a service of the test's own, the way the demo's are (its repository's
 * catalog-info.yaml pushed), so that a file on a shared twin has its own PROD lock, known-good
 * versions and queue. Resolves once the catalog lists it.
 */
export async function registerTestService(
  runtime: Pick<LocalRuntime, 'url' | 'bus' | 'issuer'>,
  service: DemoRepository,
): Promise<void> {
  await pushCatalogInfo(runtime.url, service);
  await runtime.bus.idle();
  const platform = portalClient(runtime, await runtime.issuer.sign({ sub: DEMO_CATALOG_AUTHOR }));
  const deadline = Date.now() + SAFETY_NET_MS;
  while ((await platform.request('GET', `/v1/services/${service.name}`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${service.name} never reached the catalog`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A portal client for a runtime in this process or, by URL alone, one running in another. */
export function portalClient(runtime: { url: string; bus?: { idle(): Promise<void> } }, token: string) {
  const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${runtime.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const get = async <T>(path: string): Promise<T> => {
    const response = await request('GET', path);
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };
  const list = async (service: string, environment: string): Promise<DeploymentView[]> => {
    await runtime.bus?.idle();
    return (
      await get<{ items: DeploymentView[] }>(`/v1/deployments?service=${service}&environment=${environment}&limit=100`)
    ).items;
  };
  /** Polls until the deployment of `version` satisfies `until` (by default: it ended). */
  const waitFor = async (
    service: string,
    environment: string,
    version: string,
    until: (deployment: DeploymentView) => boolean = (d) => TERMINAL.includes(d.status),
    timeoutMs = SAFETY_NET_MS,
  ): Promise<DeploymentView> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const summary = (await list(service, environment)).find((item) => item.version === version);
      if (summary) {
        const deployment = await get<DeploymentView>(`/v1/deployments/${summary.id}`);
        if (until(deployment)) return deployment;
      }
      if (Date.now() > deadline)
        throw new Error(
          `${service} ${version} in ${environment} did not reach the expected state: ${JSON.stringify(summary)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { request, get, list, waitFor };
}

/** The Slack message whose buttons carry `approvalId`; it is posted a moment after the approval is stored. */
export async function slackMessageFor(runtime: LocalRuntime, approvalId: string) {
  const deadline = Date.now() + SAFETY_NET_MS;
  while (Date.now() < deadline) {
    const message = runtime.chat.messages.find((candidate) =>
      JSON.stringify(candidate.blocks ?? []).includes(approvalId),
    );
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`No Slack message for ${approvalId}`);
}

/**
 * A signed click on an approval button, as Slack sends it. The ingress acknowledges it at once
 * with an empty 200; the vote counter answers later, with an ephemeral message to the clicker,
 * which `answer` waits for: the next one to that user after the click, or with `later`, the one
 * that many after it (clicks of one user in flight together).
 */
export async function clickApprovalButton(
  runtime: LocalRuntime,
  click: {
    slackUserId: string;
    actionId: 'approve' | 'reject';
    approvalId: string;
    secret?: string;
    timestamp?: number;
  },
): Promise<{ status: number; body: string; answer: (later?: number) => Promise<string> }> {
  const ephemeralsTo = () => runtime.chat.messages.filter((message) => message.ephemeralTo === click.slackUserId);
  const before = ephemeralsTo().length;
  const request = signedBlockAction({
    signingSecret: click.secret ?? 'local-slack-secret',
    slackUserId: click.slackUserId,
    actionId: click.actionId,
    approvalId: click.approvalId,
    ...(click.timestamp ? { timestamp: click.timestamp } : {}),
  });
  const response = await fetch(`${runtime.url}/slack/interactions`, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
  });
  const body = await response.text();
  const answer = async (later = 0) => {
    const deadline = Date.now() + SAFETY_NET_MS;
    while (Date.now() < deadline) {
      const answered = ephemeralsTo()[before + later];
      if (answered) return answered.text;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`No answer to ${click.slackUserId}'s ${click.actionId} click on ${click.approvalId}`);
  };
  return { status: response.status, body, answer };
}
