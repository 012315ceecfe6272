import './log-defaults.js';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LOCAL_DEFAULTS, ENV, optionalEnv } from '../../functions/config.js';
import { pullRequestPayload, releasePayload, signedDelivery } from './github-payloads.js';
import { LocalIssuer } from './local-issuer.js';
import { localOptionsFromEnv, startLocalRuntime, type LocalRuntime } from './runtime.js';

/**
 * `npm run demo`: drives the HML scenario against a running local runtime (or starts one in
 * this process) and prints each step as it happens.
 */
const SCENARIOS = ['hml', 'rollout'] as const;
const { positionals } = parseArgs({ allowPositionals: true });
const scenario = positionals[0] ?? 'hml';
if (!SCENARIOS.includes(scenario as (typeof SCENARIOS)[number])) {
  console.error(`Unknown scenario "${scenario}". Available: ${SCENARIOS.join(', ')}`);
  process.exit(2);
}

const options = localOptionsFromEnv();
const baseUrl = `http://127.0.0.1:${options.port}`;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED']);

interface DeploymentView {
  id: string;
  version: string;
  status: string;
  reason: string | null;
  digest: string | null;
  waves: { region: string; status: string; bakeSeconds: number; startedAt: string | null; digestBefore: string | null; digestAfter: string | null; gitopsRevision: string | null }[];
  approvals: { id: string; status: string }[];
  events: { at: string; action: string; message: string }[];
}

async function reachable(): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/healthz`)).ok;
  } catch {
    return false;
  }
}

const step = (text: string) => { console.log(`\n▸ ${text}`); };

/** The wave being worked on and, during a bake, how much of it is left (in real seconds). */
function progressLine(deployment: DeploymentView): string | undefined {
  const active = deployment.waves.find((wave) => ['BLOCKED', 'DEPLOYING', 'GATING', 'BAKING', 'ROLLING_BACK'].includes(wave.status));
  if (!active) return undefined;
  if (active.status !== 'BAKING') return `current wave: ${active.region} ${active.status}`;
  const bakeStart = Date.parse([...deployment.events].reverse().find((event) => event.message.includes('baking for'))?.at ?? '');
  const remaining = Math.max(0, Math.ceil(active.bakeSeconds / options.timeScale - (Date.now() - bakeStart) / 1000));
  return `current wave: ${active.region} BAKING, ${remaining}s left (${active.bakeSeconds / 60} min at ${options.timeScale}x)`;
}
const detail = (text: string) => { console.log(`    ${text}`); };

let ownRuntime: LocalRuntime | undefined;
let url = baseUrl;
if (await reachable()) {
  step(`Using the Flightplan already running at ${baseUrl}`);
} else {
  step(`Nothing answers at ${baseUrl}: starting Flightplan in this process`);
  ownRuntime = await startLocalRuntime({ ...options, port: 0 });
  url = ownRuntime.url;
  detail(`running at ${url}, time scale ${options.timeScale}x`);
}

try {
  const issuer = await LocalIssuer.open(options.dataDir);
  const token = await issuer.sign({ sub: 'alice' });
  const approverToken = await issuer.sign({ sub: 'bob' });
  const approved = new Set<string>();
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const secret = optionalEnv(ENV.githubWebhookSecret, LOCAL_DEFAULTS.githubWebhookSecret);
  const sendGithub = async (eventName: string, payload: unknown) => {
    const delivery = await signedDelivery(secret, eventName, payload);
    const response = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    detail(`POST /webhooks/github (${eventName}) → ${response.status} ${await response.text()}`);
    if (response.status !== 202) throw new Error('GitHub webhook was not accepted');
  };

  /** Finds the deployment of `version`, then prints each audit entry and the live wave state until it ends. */
  const follow = async (service: string, environment: string, version: string): Promise<DeploymentView> => {
    let deploymentId: string | undefined;
    for (let attempt = 0; attempt < 100 && !deploymentId; attempt += 1) {
      const page = await api<{ items: { id: string; version: string }[] }>(`/v1/deployments?service=${service}&environment=${environment}`);
      deploymentId = page.items.find((item) => item.version === version)?.id;
      if (!deploymentId) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!deploymentId) throw new Error('No deployment appeared within 10 s');
    detail(`deployment ${deploymentId} (GET /v1/deployments/${deploymentId})`);
    const started = Date.now();
    let shown = 0;
    let lastProgress = '';
    for (;;) {
      const deployment = await api<DeploymentView>(`/v1/deployments/${deploymentId}`);
      for (const event of deployment.events.slice(shown)) {
        detail(`${event.at.slice(11, 23)}  ${event.action.padEnd(24)} ${event.message.split('\n')[0] ?? ''}`);
      }
      shown = deployment.events.length;
      const progress = progressLine(deployment);
      if (progress && progress !== lastProgress) {
        detail(`           ${progress}`);
        lastProgress = progress;
      }
      if (TERMINAL.has(deployment.status)) return deployment;
      const pending = deployment.approvals.find((approval) => approval.status === 'PENDING');
      if (deployment.status === 'AWAITING_APPROVAL' && pending && !approved.has(pending.id)) {
        approved.add(pending.id);
        detail(`           bob (payments) approves from the portal: POST /v1/approvals/${pending.id}/votes`);
        const vote = await fetch(`${url}/v1/approvals/${encodeURIComponent(pending.id)}/votes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ decision: 'APPROVE', comment: 'demo' }),
        });
        if (!vote.ok) throw new Error(`The approval vote answered ${vote.status}: ${await vote.text()}`);
      }
      if (Date.now() - started > 180_000) throw new Error('The deployment did not finish within 3 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const summarize = (deployment: DeploymentView) => {
    step(`Deployment ${deployment.status}${deployment.reason ? `: ${deployment.reason}` : ''}`);
    for (const wave of deployment.waves) {
      detail(`${wave.region}: ${wave.status}, ${wave.digestBefore ?? 'nothing'} → ${wave.digestAfter ?? 'nothing'}`);
    }
  };

  if (scenario === 'hml') {
    const headSha = createHash('sha1').update(`demo-${Date.now()}`).digest('hex');
    step(`alice labels PR #42 of acme/orders-api with deploy-hml (head ${headSha.slice(0, 7)})`);
    await sendGithub('pull_request', pullRequestPayload({ repository: 'acme/orders-api', number: 42, headSha, action: 'labeled', label: 'deploy-hml', labels: ['deploy-hml'], sender: 'alice' }));
    step('Following it (each line is an audit entry stored in DynamoDB)');
    const deployment = await follow('orders-api', 'hml', headSha.slice(0, 7));
    summarize(deployment);
    detail(`GitOps history: git -C ${options.dataDir}/gitops log --oneline`);
    process.exitCode = deployment.status === 'SUCCEEDED' ? 0 : 1;
  } else {
    const stamp = Date.now().toString(36);
    const good = `v2.0.0-demo.${stamp}`;
    const bad = `v2.0.1-demo.${stamp}`;
    step(`alice publishes release ${good} of acme/orders-api: a good one`);
    await sendGithub('release', releasePayload({ repository: 'acme/orders-api', tag: good, author: 'alice' }));
    const first = await follow('orders-api', 'prod', good);
    summarize(first);

    step(`alice publishes ${bad}; sa-east-1 will answer with a p99 of 412 ms (T1 allows 100 ms)`);
    await fetch(`${url}/local/sim/health`, {
      method: 'POST',
      body: JSON.stringify({ service: 'orders-api', environment: 'prod', region: 'sa-east-1', healthy: true, p99Ms: 412 }),
    });
    try {
      await sendGithub('release', releasePayload({ repository: 'acme/orders-api', tag: bad, author: 'alice' }));
      const second = await follow('orders-api', 'prod', bad);
      summarize(second);
      process.exitCode = first.status === 'SUCCEEDED' && second.status === 'ROLLED_BACK' ? 0 : 1;
    } finally {
      await fetch(`${url}/local/sim/health`, {
        method: 'POST',
        body: JSON.stringify({ service: 'orders-api', environment: 'prod', region: 'sa-east-1', healthy: true }),
      });
    }
    detail(`GitOps history: git -C ${options.dataDir}/gitops log --oneline`);
  }
} catch (error) {
  console.error(`\nDemo failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await ownRuntime?.stop();
}
