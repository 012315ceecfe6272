import './log-defaults.js';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LOCAL_DEFAULTS, ENV, optionalEnv } from '../../functions/config.js';
import { deliverGithubWebhook, pullRequestPayload, releasePayload } from './github-payloads.js';
import { LocalIssuer } from './local-issuer.js';
import { localOptionsFromEnv, startLocalRuntime, type LocalRuntime } from './runtime.js';

/**
 * `npm run demo [-- hml|rollout|provision|service]`: drives a scenario against a running local
 * runtime (or starts one in this process) and prints each step as it happens.
 */
const SCENARIOS = ['hml', 'rollout', 'provision', 'service'] as const;
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
  waves: {
    region: string;
    status: string;
    bakeSeconds: number;
    startedAt: string | null;
    digestBefore: string | null;
    digestAfter: string | null;
    gitopsRevision: string | null;
  }[];
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

const step = (text: string) => {
  console.log(`\n▸ ${text}`);
};

/** The wave being worked on and, during a bake, how much of it is left (in real seconds). */
function progressLine(deployment: DeploymentView): string | undefined {
  const active = deployment.waves.find((wave) =>
    ['BLOCKED', 'DEPLOYING', 'GATING', 'BAKING', 'ROLLING_BACK'].includes(wave.status),
  );
  if (!active) return undefined;
  if (active.status !== 'BAKING') return `current wave: ${active.region} ${active.status}`;
  const bakeStart = Date.parse(
    [...deployment.events].reverse().find((event) => event.message.includes('baking for'))?.at ?? '',
  );
  const remaining = Math.max(0, Math.ceil(active.bakeSeconds / options.timeScale - (Date.now() - bakeStart) / 1000));
  return `current wave: ${active.region} BAKING, ${remaining}s left (${active.bakeSeconds / 60} min at ${options.timeScale}x)`;
}
const detail = (text: string) => {
  console.log(`    ${text}`);
};

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
  const api = async <T>(path: string, init: RequestInit = {}, bearer = token): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/json',
        ...(init.headers as Record<string, string> | undefined),
      },
    });
    if (!response.ok)
      throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  /** Prints a record's audit entries as they appear until `until` holds; `onChange` sees every poll and may act (vote, merge). */
  const followRecord = async <T extends { status: string; events: { at: string; action: string; message: string }[] }>(
    path: string,
    until: (record: T) => boolean,
    onChange: (record: T) => Promise<void> = () => Promise.resolve(),
  ): Promise<T> => {
    const started = Date.now();
    let shown = 0;
    for (;;) {
      const record = await api<T>(path);
      for (const event of record.events.slice(shown))
        detail(`${event.at.slice(11, 23)}  ${event.action.padEnd(34)} ${event.message}`);
      shown = record.events.length;
      await onChange(record);
      if (until(record)) return record;
      if (Date.now() - started > 120_000) throw new Error(`${path} did not finish within 2 minutes (${record.status})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const secret = optionalEnv(ENV.githubWebhookSecret, LOCAL_DEFAULTS.githubWebhookSecret);
  const sendGithub = async (eventName: string, payload: unknown) => {
    const response = await deliverGithubWebhook(url, secret, eventName, payload);
    detail(`POST /webhooks/github (${eventName}) → ${response.status} ${JSON.stringify(response.body)}`);
    if (response.status !== 202) throw new Error('GitHub webhook was not accepted');
  };

  /** Finds the deployment of `version`, then prints each audit entry and the live wave state until it ends. */
  const follow = async (service: string, environment: string, version: string): Promise<DeploymentView> => {
    let deploymentId: string | undefined;
    for (let attempt = 0; attempt < 100 && !deploymentId; attempt += 1) {
      const page = await api<{ items: { id: string; version: string }[] }>(
        `/v1/deployments?service=${service}&environment=${environment}`,
      );
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
    await sendGithub(
      'pull_request',
      pullRequestPayload({
        repository: 'acme/orders-api',
        number: 42,
        headSha,
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
      }),
    );
    step('Following it (each line is an audit entry stored in DynamoDB)');
    const deployment = await follow('orders-api', 'hml', headSha.slice(0, 7));
    summarize(deployment);
    detail(`GitOps history: git -C ${options.dataDir}/gitops log --oneline`);
    process.exitCode = deployment.status === 'SUCCEEDED' ? 0 : 1;
  } else if (scenario === 'provision') {
    await provisionScenario();
  } else if (scenario === 'service') {
    await serviceScenario();
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
      body: JSON.stringify({
        service: 'orders-api',
        environment: 'prod',
        region: 'sa-east-1',
        healthy: true,
        p99Ms: 412,
      }),
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

  async function provisionScenario(): Promise<void> {
    interface RequestView {
      id: string;
      status: string;
      path: string;
      secretPath: string;
      outputs: Record<string, string> | null;
      failureReason: string | null;
      pullRequest: { number: number; url: string } | null;
      approval: { id: string; status: string } | null;
      events: { at: string; action: string; message: string }[];
    }
    const name = `events-${Date.now().toString(36)}`;
    step(`alice asks for an SQS queue "${name}" for orders-api in prod/us-east-1 (POST /v1/provisioning-requests)`);
    const accepted = await api<{ id: string; href: string }>('/v1/provisioning-requests', {
      method: 'POST',
      headers: { 'idempotency-key': `demo-${name}` },
      body: JSON.stringify({
        service: 'orders-api',
        environment: 'prod',
        region: 'us-east-1',
        type: 'sqs',
        name,
        spec: { retentionDays: 7 },
        reason: 'order events for the new ledger',
      }),
    });
    detail(`request ${accepted.id} (GET ${accepted.href})`);
    step(
      'Following it: policy check, approval (PROD: 2 approvers, one from platform-team), pull request, merge, apply',
    );
    const voters = [
      ['bob', approverToken],
      ['carol', await issuer.sign({ sub: 'carol' })],
    ] as const;
    let merged = false;
    const finished = await followRecord<RequestView>(
      accepted.href,
      (request) => ['COMPLETED', 'FAILED', 'REJECTED'].includes(request.status),
      async (request) => {
        if (
          request.status === 'AWAITING_APPROVAL' &&
          request.approval?.status === 'PENDING' &&
          !approved.has(request.approval.id)
        ) {
          approved.add(request.approval.id);
          for (const [voter, bearer] of voters) {
            detail(`           ${voter} approves from the portal: POST /v1/approvals/${request.approval.id}/votes`);
            await api(
              `/v1/approvals/${encodeURIComponent(request.approval.id)}/votes`,
              { method: 'POST', body: JSON.stringify({ decision: 'APPROVE' }) },
              bearer,
            );
          }
        }
        if (request.status === 'PR_OPEN' && request.pullRequest && !merged) {
          merged = true;
          detail(`           Terraform at ${request.path} on ${request.pullRequest.url}`);
          detail(
            `           dave merges it; GitHub then sends pull_request (closed, merged) and workflow_run (terraform-apply, success)`,
          );
          const response = await fetch(
            `${url}/local/github/pull-requests/${String(request.pullRequest.number)}/merge`,
            { method: 'POST', body: JSON.stringify({ by: 'dave' }) },
          );
          if (!response.ok) throw new Error(`Merging answered ${response.status}: ${await response.text()}`);
        }
      },
    );
    step(`Provisioning ${finished.status}${finished.failureReason ? `: ${finished.failureReason}` : ''}`);
    for (const [key, value] of Object.entries(finished.outputs ?? {})) detail(`${key.padEnd(20)} ${value}`);
    detail(`Terraform repository: git -C ${options.dataDir}/github/acme/terraform-live log --oneline`);
    process.exitCode = finished.status === 'COMPLETED' ? 0 : 1;
  }

  async function serviceScenario(): Promise<void> {
    const name = `ledger-${Date.now().toString(36)}`;
    step(`alice creates the service ${name} for payments (POST /v1/services)`);
    await api('/v1/services', {
      method: 'POST',
      body: JSON.stringify({
        name,
        team: 'payments',
        tier: 'T2',
        template: 'node-api',
        description: 'Double-entry ledger',
      }),
    });
    const service = await followRecord<{
      status: string;
      repository: string;
      failureReason?: string;
      events: { at: string; action: string; message: string }[];
    }>(`/v1/services/${name}`, (record) => record.status !== 'CREATING');
    step(`Service ${service.status}${service.failureReason ? `: ${service.failureReason}` : ''}`);
    if (service.status !== 'ACTIVE') {
      process.exitCode = 1;
      return;
    }
    detail(
      `repositories: ${options.dataDir}/github/${service.repository} and ${service.repository}-infra; Argo CD applications in ${options.dataDir}/gitops/argocd`,
    );
    const headSha = createHash('sha1').update(`demo-${name}`).digest('hex');
    step(`alice labels PR #1 of ${service.repository} with deploy-hml: the new service deploys at once`);
    await sendGithub(
      'pull_request',
      pullRequestPayload({
        repository: service.repository,
        number: 1,
        headSha,
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
      }),
    );
    const deployment = await follow(name, 'hml', headSha.slice(0, 7));
    summarize(deployment);
    process.exitCode = deployment.status === 'SUCCEEDED' ? 0 : 1;
  }
} catch (error) {
  console.error(`\nDemo failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await ownRuntime?.stop();
}
