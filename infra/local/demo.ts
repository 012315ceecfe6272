import './log-defaults.js';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LOCAL_DEFAULTS, ENV, optionalEnv } from '../../functions/config.js';
import { pullRequestPayload, signedDelivery } from './github-payloads.js';
import { LocalIssuer } from './local-issuer.js';
import { localOptionsFromEnv, startLocalRuntime, type LocalRuntime } from './runtime.js';

/**
 * `npm run demo`: drives the HML scenario against a running local runtime (or starts one in
 * this process) and prints each step as it happens.
 */
const { positionals } = parseArgs({ allowPositionals: true });
const scenario = positionals[0] ?? 'hml';
if (scenario !== 'hml') {
  console.error(`Unknown scenario "${scenario}". Available: hml`);
  process.exit(2);
}

const options = localOptionsFromEnv();
const baseUrl = `http://127.0.0.1:${options.port}`;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED']);

interface DeploymentView {
  id: string;
  status: string;
  reason: string | null;
  digest: string | null;
  waves: { region: string; status: string; digestBefore: string | null; digestAfter: string | null; gitopsRevision: string | null }[];
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
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };

  const headSha = createHash('sha1').update(`demo-${Date.now()}`).digest('hex');
  step(`alice labels PR #42 of acme/orders-api with deploy-hml (head ${headSha.slice(0, 7)})`);
  const delivery = await signedDelivery(
    optionalEnv(ENV.githubWebhookSecret, LOCAL_DEFAULTS.githubWebhookSecret),
    'pull_request',
    pullRequestPayload({ repository: 'acme/orders-api', number: 42, headSha, action: 'labeled', label: 'deploy-hml', labels: ['deploy-hml'], sender: 'alice' }),
  );
  const response = await fetch(`${url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  detail(`POST /webhooks/github → ${response.status} ${await response.text()}`);
  if (response.status !== 202) throw new Error('GitHub webhook was not accepted');

  step('Waiting for the deployment to appear');
  const version = headSha.slice(0, 7);
  let deploymentId: string | undefined;
  for (let attempt = 0; attempt < 100 && !deploymentId; attempt += 1) {
    const page = await api<{ items: { id: string; version: string }[] }>('/v1/deployments?service=orders-api&environment=hml');
    deploymentId = page.items.find((item) => item.version === version)?.id;
    if (!deploymentId) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!deploymentId) throw new Error('No deployment appeared within 10 s');
  detail(`deployment ${deploymentId} (GET /v1/deployments/${deploymentId})`);

  step('Following it (each line is an audit entry stored in DynamoDB)');
  const started = Date.now();
  let shown = 0;
  let deployment: DeploymentView;
  for (;;) {
    deployment = await api<DeploymentView>(`/v1/deployments/${deploymentId}`);
    for (const event of deployment.events.slice(shown)) {
      detail(`${event.at.slice(11, 23)}  ${event.action.padEnd(22)} ${event.message.split('\n')[0] ?? ''}`);
    }
    shown = deployment.events.length;
    if (TERMINAL.has(deployment.status)) break;
    if (Date.now() - started > 120_000) throw new Error('The deployment did not finish within 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  step(`Deployment ${deployment.status}${deployment.reason ? `: ${deployment.reason}` : ''}`);
  for (const wave of deployment.waves) {
    detail(`${wave.region}: ${wave.status}, ${wave.digestBefore ?? 'nothing'} → ${wave.digestAfter ?? 'nothing'} (GitOps commit ${wave.gitopsRevision?.slice(0, 7) ?? '-'})`);
  }
  detail(`GitOps history: git -C ${options.dataDir}/gitops log --oneline`);
  process.exitCode = deployment.status === 'SUCCEEDED' ? 0 : 1;
} catch (error) {
  console.error(`\nDemo failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await ownRuntime?.stop();
}
