import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ENV, LOCAL_DEFAULTS } from '../functions/config.js';
import { DEPLOY_HML_LABEL } from '../functions/domain/github-delivery.js';
import { deliverGithubWebhook, pullRequestPayload, releasePayload } from '../infra/local/github-payloads.js';
import { LocalIssuer } from '../infra/local/local-issuer.js';
import { ApiRefusedError, UnreachableError, UsageError, apiClient, isLocalUrl, query, type ApiClient } from './api.js';
import { duration, inert, shortDigest, table, waveDigests, when, type WaveView } from './format.js';
import { login, savedToken } from './login.js';
import { TERMINAL, changeLines, watchFrame, type WatchedDeployment } from './watch.js';

export interface Io {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stdout is a terminal: `watch` redraws in place instead of printing changes. */
  tty: boolean;
  /** Writes without a newline, for redrawing in place. */
  write: (text: string) => void;
  sleep: (ms: number) => Promise<void>;
}

const USAGE = `flightplan <command> [options]       (FLIGHTPLAN_URL, FLIGHTPLAN_TOKEN; --json for JSON)

  status [service]                         what is live where, and what is on its way
  deployments [--service S --env E --status S]
  show <id>                                waves, approvals, audit trail
  watch <id>                               follow a deployment until it ends
  plan <service> <env> <version> [--rollback] [--override-reason R]
  deploy <service> <env> <version> [--rollback] [--override-reason R] [--idempotency-key K]
  abort <id>
  override <id> --reason R                 platform-team: release a BLOCKED wave
  approvals                                what waits on me
  approve <id> [--comment C]   reject <id> [--comment C]
  provision <service> <env> <region> <type> <name> [--spec JSON] [--reason R]
  requests [--service S --env E --status S]
  services
  create-service <name> --team T --tier T1|T2|T3 --template node-api|java-api|static-web [--description D]
  audit <service>
  login [--issuer URL] [--client-id ID]    Keycloak device login (FLIGHTPLAN_OIDC_ISSUER)

  local token --sub ID [--email E] [--group G]...
  local label <owner/repo> [--pr N] [--sha S] [--by LOGIN]
  local release <owner/repo> <tag> [--by LOGIN]
  local merge <n> [--repo R] [--by LOGIN] [--apply success|failure|cancelled|none]
  local health <service> <env> <region> [--unhealthy] [--error-rate F] [--p99 MS] [--requests N]
  local alarm <service> <region> ALARM|OK

  Locally, --as LOGIN mints a token for LOGIN instead of FLIGHTPLAN_TOKEN.
Exit codes: 0 success, 1 the API refused (or a watched deployment did not succeed), 2 usage.`;

const GLOBAL_OPTIONS = {
  json: { type: 'boolean', default: false },
  as: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

type Options = NonNullable<ParseArgsConfig['options']>;

function parse(args: string[], options: Options, positionals: { min: number; max: number; names: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max) {
    throw new UsageError(
      `expected ${positionals.names || 'no arguments'}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`,
    );
  }
  return parsed as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

interface Context {
  io: Io;
  url: string;
  api: ApiClient;
  json: boolean;
}

/** Prints a value as JSON with --json, else as the human rendering. */
const print = (context: Context, value: unknown, human: () => string) => {
  context.io.out(context.json ? JSON.stringify(value, null, 2) : human());
};

const dataDir = (env: NodeJS.ProcessEnv) => resolve(env[ENV.dataDir] ?? LOCAL_DEFAULTS.dataDir);

function tokenSource(io: Io, url: string, as: string | undefined): () => Promise<string | undefined> {
  let cached: Promise<string | undefined> | undefined;
  return () =>
    (cached ??= (async () => {
      if (as) {
        if (!isLocalUrl(url))
          throw new UsageError('--as mints a local token and only works against a local runtime; use flightplan login');
        return (await LocalIssuer.open(dataDir(io.env))).sign({ sub: as });
      }
      return io.env['FLIGHTPLAN_TOKEN'] ?? (await savedToken(io.env, url));
    })());
}

/** Runs one command line and answers the exit code. */
export async function run(argv: string[], terminal: Io): Promise<number> {
  // What is printed comes from the API, and people wrote much of it: none of it may drive the terminal.
  const io: Io = {
    ...terminal,
    out: (text) => {
      terminal.out(inert(text));
    },
    err: (text) => {
      terminal.err(inert(text));
    },
  };
  const url = (io.env['FLIGHTPLAN_URL'] ?? 'http://127.0.0.1:3000').replace(/\/$/u, '');
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      io.out(USAGE);
      return command ? 0 : 2;
    }
    const handler = COMMANDS[command];
    if (!handler) throw new UsageError(`unknown command ${command}`);
    const as = str(
      parseArgs({ args: rest, options: GLOBAL_OPTIONS, strict: false, allowPositionals: true }).values['as'],
    );
    const json = rest.includes('--json');
    return (await handler(rest, { io, url, api: apiClient(url, tokenSource(io, url, as)), json })) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`flightplan: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ApiRefusedError) {
      io.err(`${error.problem.title ?? `HTTP ${error.status}`}: ${error.problem.detail ?? ''}`);
      for (const problem of error.problem.errors ?? []) io.err(`  ${problem.path || '(body)'}: ${problem.message}`);
      if (error.status === 401)
        io.err(
          isLocalUrl(url)
            ? '  (locally: --as <login>, or export FLIGHTPLAN_TOKEN=$(npx flightplan local token --sub <login>))'
            : '  (run flightplan login)',
        );
      return 1;
    }
    if (error instanceof UnreachableError) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

type Command = (args: string[], context: Context) => Promise<number | undefined>;

interface Deployment extends WatchedDeployment {
  digest: string | null;
  requestedBy: string;
  mode: string;
  createdAt: string;
  endedAt: string | null;
  override: { by: string; reason: string } | null;
  approvals: {
    id: string;
    status: string;
    policy: string;
    requestedBy: string;
    expiresAt: string;
    votes: { voter: string; decision: string; comment?: string }[];
    noEligibleApprover?: string | null;
  }[];
}

interface Live {
  service: string;
  regions: {
    environment: string;
    region: string;
    version: string | null;
    digest: string | null;
    since: string | null;
    deploymentId: string | null;
    inFlight: { deploymentId: string; version: string; status: string; waveStatus: string } | null;
  }[];
}

const wavesSummary = (waves: WaveView[]) => waves.map((wave) => `${wave.region}:${wave.status}`).join(' ');

const showDeployment = (deployment: Deployment): string => {
  const lines = [
    deployment.id,
    `  ${deployment.service} ${deployment.version} → ${deployment.environment}   ${deployment.status}${deployment.reason ? ` (${deployment.reason})` : ''}`,
    `  requested by ${deployment.requestedBy} at ${when(deployment.createdAt)}${deployment.mode === 'rollback' ? ', as a rollback' : ''}${deployment.override ? `; override by ${deployment.override.by}: ${deployment.override.reason}` : ''}`,
    ...(deployment.waitingBehind ? [`  queued behind ${deployment.waitingBehind}`] : []),
    `  digest ${deployment.digest ?? '(not resolved yet)'}`,
    '',
    table(
      ['region', 'status', 'bake', 'digests', 'reason'],
      deployment.waves.map((wave) => [
        wave.region,
        wave.status,
        wave.bakeSeconds ? duration(wave.bakeSeconds) : 'none',
        waveDigests(wave),
        wave.status === 'SUCCEEDED' ? '' : wave.reason,
      ]),
    ),
  ];
  for (const approval of deployment.approvals) {
    lines.push(
      '',
      `  approval ${approval.id}  ${approval.status}  (${approval.policy}, expires ${when(approval.expiresAt)})`,
    );
    if (approval.noEligibleApprover) lines.push(`    nobody can approve: ${approval.noEligibleApprover}`);
    for (const vote of approval.votes)
      lines.push(`    ${vote.decision} by ${vote.voter}${vote.comment ? `: ${vote.comment}` : ''}`);
  }
  lines.push(
    '',
    '  audit trail:',
    ...deployment.events.map(
      (event) => `    ${when(event.at)}  ${event.region ? `${event.region}  ` : ''}${event.message}`,
    ),
  );
  return lines.join('\n');
};

const envFlag = {
  service: { type: 'string' },
  env: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
} as const;

const deployOptions = {
  rollback: { type: 'boolean', default: false },
  'override-reason': { type: 'string' },
  'idempotency-key': { type: 'string' },
} as const;

const deployBody = (positionals: string[], values: Record<string, unknown>) => ({
  service: positionals[0],
  environment: positionals[1],
  version: positionals[2],
  ...(values['rollback'] ? { mode: 'rollback' } : {}),
  ...(str(values['override-reason']) ? { override: { reason: str(values['override-reason']) } } : {}),
});

function requireLocal(context: Context): void {
  if (!isLocalUrl(context.url))
    throw new UsageError(`local commands only talk to a runtime on this machine, not ${context.url}`);
}

async function localPost(context: Context, path: string, body: unknown): Promise<unknown> {
  return context.api.post(path, body);
}

const webhookSecret = (env: NodeJS.ProcessEnv) => env[ENV.githubWebhookSecret] ?? LOCAL_DEFAULTS.githubWebhookSecret;

const LOCAL: Record<string, Command> = {
  token: async (args, context) => {
    const { values } = parse(
      args,
      {
        sub: { type: 'string' },
        email: { type: 'string' },
        group: { type: 'string', multiple: true, default: [] },
        expires: { type: 'string', default: '12h' },
      },
      { min: 0, max: 0, names: '' },
    );
    const sub = str(values['sub']);
    if (!sub) throw new UsageError('local token needs --sub <id>');
    const email = str(values['email']);
    const token = await (
      await LocalIssuer.open(dataDir(context.io.env))
    ).sign({ sub, groups: values['group'] as string[], ...(email ? { email } : {}) }, str(values['expires']));
    print(context, { token }, () => token);
    return 0;
  },
  label: async (args, context) => {
    const { values, positionals } = parse(
      args,
      {
        pr: { type: 'string', default: '1' },
        sha: { type: 'string' },
        by: { type: 'string', default: 'alice' },
        label: { type: 'string', default: DEPLOY_HML_LABEL },
      },
      { min: 1, max: 1, names: '<owner/repo>' },
    );
    const repository = positionals[0] ?? '';
    const number = Number(values['pr']);
    if (!Number.isInteger(number) || number < 1) throw new UsageError('--pr must be a pull request number');
    const label = str(values['label']) ?? DEPLOY_HML_LABEL;
    // The same PR number and repository give the same head unless --sha says otherwise.
    const headSha = str(values['sha']) ?? createHash('sha1').update(`${repository}#${number}`).digest('hex');
    const delivery = await deliverGithubWebhook(
      context.url,
      webhookSecret(context.io.env),
      'pull_request',
      pullRequestPayload({
        repository,
        number,
        headSha,
        action: 'labeled',
        label,
        labels: [label],
        sender: str(values['by']) ?? 'alice',
      }),
    );
    return reportDelivery(context, delivery);
  },
  release: async (args, context) => {
    const { values, positionals } = parse(
      args,
      { by: { type: 'string', default: 'alice' } },
      { min: 2, max: 2, names: '<owner/repo> <tag>' },
    );
    const delivery = await deliverGithubWebhook(
      context.url,
      webhookSecret(context.io.env),
      'release',
      releasePayload({
        repository: positionals[0] ?? '',
        tag: positionals[1] ?? '',
        author: str(values['by']) ?? 'alice',
      }),
    );
    return reportDelivery(context, delivery);
  },
  merge: async (args, context) => {
    const { values, positionals } = parse(
      args,
      { repo: { type: 'string' }, by: { type: 'string' }, apply: { type: 'string' } },
      { min: 1, max: 1, names: '<pull request number>' },
    );
    const result = (await localPost(
      context,
      `/local/github/pull-requests/${encodeURIComponent(positionals[0] ?? '')}/merge`,
      {
        ...(str(values['repo']) ? { repository: str(values['repo']) } : {}),
        ...(str(values['by']) ? { by: str(values['by']) } : {}),
        ...(str(values['apply']) ? { apply: str(values['apply']) } : {}),
      },
    )) as {
      pullRequest: { number: number; url: string; state: string };
      deliveries: { event: string; status: number }[];
    };
    print(context, result, () =>
      [
        `merged #${result.pullRequest.number} ${result.pullRequest.url}`,
        ...result.deliveries.map((delivery) => `  delivered ${delivery.event}: ${delivery.status}`),
      ].join('\n'),
    );
    return 0;
  },
  health: async (args, context) => {
    const { values, positionals } = parse(
      args,
      {
        unhealthy: { type: 'boolean', default: false },
        'error-rate': { type: 'string' },
        p99: { type: 'string' },
        requests: { type: 'string' },
      },
      { min: 3, max: 3, names: '<service> <env> <region>' },
    );
    const number = (name: string) => (str(values[name]) === undefined ? undefined : Number(str(values[name])));
    const body = {
      service: positionals[0],
      environment: positionals[1],
      region: positionals[2],
      healthy: !values['unhealthy'],
      errorRate: number('error-rate'),
      p99Ms: number('p99'),
      requestCount: number('requests'),
    };
    const result = await localPost(context, '/local/sim/health', JSON.parse(JSON.stringify(body)));
    print(
      context,
      result,
      () =>
        `health of ${body.service} in ${body.environment}/${body.region} set: ${body.healthy ? 'healthy' : 'unhealthy'}${body.p99Ms === undefined ? '' : `, p99 ${body.p99Ms} ms`}${body.errorRate === undefined ? '' : `, error rate ${body.errorRate}`}`,
    );
    return 0;
  },
  alarm: async (args, context) => {
    const { positionals } = parse(args, {}, { min: 3, max: 3, names: '<service> <region> ALARM|OK' });
    const state = (positionals[2] ?? '').toUpperCase();
    if (state !== 'ALARM' && state !== 'OK') throw new UsageError('the alarm state is ALARM or OK');
    const result = (await localPost(context, '/local/sim/alarm', {
      service: positionals[0],
      region: positionals[1],
      state,
    })) as { alarmName: string };
    print(context, result, () => `${result.alarmName} is ${state}`);
    return 0;
  },
};

function reportDelivery(context: Context, delivery: { event: string; status: number; body: unknown }): number {
  print(context, delivery, () => `${delivery.event} delivered: ${delivery.status} ${JSON.stringify(delivery.body)}`);
  if (delivery.status >= 400) {
    const problem = delivery.body as { title?: string; detail?: string };
    if (!context.json) context.io.err(`${problem.title ?? 'Refused'}: ${problem.detail ?? ''}`);
    return 1;
  }
  return 0;
}

async function liveOf(context: Context, service: string): Promise<Live> {
  return context.api.get<Live>(`/v1/services/${encodeURIComponent(service)}/live`);
}

const liveRows = (live: Live) =>
  live.regions.map((region) => [
    live.service,
    region.environment,
    region.region,
    region.version,
    shortDigest(region.digest),
    when(region.since),
    region.inFlight ? `${region.inFlight.version} ${region.inFlight.status} (${region.inFlight.waveStatus})` : '',
  ]);

const COMMANDS: Record<string, Command> = {
  status: async (args, context) => {
    const { positionals } = parse(args, {}, { min: 0, max: 1, names: '[service]' });
    const names = positionals[0]
      ? [positionals[0]]
      : (await context.api.get<{ items: { name: string; status: string }[] }>('/v1/services?limit=100')).items
          .filter((service) => service.status === 'ACTIVE')
          .map((service) => service.name);
    const lives = await Promise.all(names.map((name) => liveOf(context, name)));
    print(context, positionals[0] ? lives[0] : lives, () => {
      const rows = lives.flatMap(liveRows);
      return rows.length === 0
        ? 'Nothing deployed yet.'
        : table(['service', 'env', 'region', 'live version', 'digest', 'since', 'on its way'], rows);
    });
    return 0;
  },
  deployments: async (args, context) => {
    const { values } = parse(args, envFlag, { min: 0, max: 0, names: '' });
    const page = await context.api.get<{ items: Deployment[]; nextCursor: string | null }>(
      `/v1/deployments${query({ service: str(values['service']), environment: str(values['env']), status: str(values['status']), limit: str(values['limit']) })}`,
    );
    print(context, page, () =>
      page.items.length === 0
        ? 'No deployments.'
        : table(
            ['id', 'service', 'env', 'version', 'status', 'waves', 'created'],
            page.items.map((item) => [
              item.id,
              item.service,
              item.environment,
              item.version,
              item.status,
              wavesSummary(item.waves),
              when(item.createdAt),
            ]),
          ),
    );
    return 0;
  },
  show: async (args, context) => {
    const { positionals } = parse(args, {}, { min: 1, max: 1, names: '<deployment id>' });
    const deployment = await context.api.get<Deployment>(`/v1/deployments/${encodeURIComponent(positionals[0] ?? '')}`);
    print(context, deployment, () => showDeployment(deployment));
    return 0;
  },
  watch: async (args, context) => {
    const { values, positionals } = parse(
      args,
      { interval: { type: 'string', default: '1000' } },
      { min: 1, max: 1, names: '<deployment id>' },
    );
    const interval = Math.max(50, Number(values['interval']) || 1000);
    const path = `/v1/deployments/${encodeURIComponent(positionals[0] ?? '')}`;
    const timeScale = await localTimeScale(context);
    let previous: Deployment | undefined;
    let drawn = 0;
    for (;;) {
      const current = await context.api.get<Deployment>(path);
      if (context.json) {
        for (const line of changeLines(previous, current))
          context.io.out(JSON.stringify({ deploymentId: current.id, status: current.status, change: line }));
      } else if (context.io.tty) {
        const frame = watchFrame(current, Date.now(), timeScale);
        // Up to the first line of the last frame, clear to the end of the screen, draw again.
        context.io.write(`${drawn > 0 ? `\u001b[${drawn}A\r\u001b[J` : ''}${frame.map(inert).join('\n')}\n`);
        drawn = frame.length;
      } else {
        if (!previous)
          context.io.out(`${current.service} ${current.version} → ${current.environment}: ${current.status}`);
        for (const line of changeLines(previous, current)) context.io.out(line);
      }
      previous = current;
      if (TERMINAL.has(current.status)) {
        if (!context.io.tty || context.json)
          context.io.out(
            context.json
              ? JSON.stringify({ deploymentId: current.id, status: current.status, final: true })
              : `${current.status}${current.reason ? `: ${current.reason}` : ''}`,
          );
        return current.status === 'SUCCEEDED' ? 0 : 1;
      }
      await context.io.sleep(interval);
    }
  },
  plan: async (args, context) => {
    const { values, positionals } = parse(args, deployOptions, { min: 3, max: 3, names: '<service> <env> <version>' });
    const plan = await context.api.post<{
      service: string;
      environment: string;
      version: string;
      tier: string;
      estimatedDurationSeconds: number;
      estimatedCostUsd: number;
      waves: {
        region: string;
        bakeSeconds: number;
        estimatedStartAt: string;
        gate: { checks: string[] };
        freeze: { name: string; endsAt: string; overridden: boolean } | null;
      }[];
      approval: { description: string; mayApproveNow: string[] } | null;
    }>('/v1/deployments/plan', deployBody(positionals, values));
    print(context, plan, () =>
      [
        `Plan: ${plan.service} ${plan.version} → ${plan.environment} (tier ${plan.tier}); nothing is written`,
        plan.approval
          ? `  approval: ${plan.approval.description}; may approve now: ${plan.approval.mayApproveNow.join(', ') || 'NOBODY'}`
          : '  approval: none',
        ...plan.waves.flatMap((wave, index) => [
          `  ${index + 1}. ${wave.region}  starts ~${when(wave.estimatedStartAt)}${wave.bakeSeconds ? `, bake ${duration(wave.bakeSeconds)}` : ', no bake'}`,
          `     gate: ${wave.gate.checks.join('; ')}`,
          ...(wave.freeze
            ? [
                `     freeze "${wave.freeze.name}" ${wave.freeze.overridden ? 'overridden' : `blocks it until ${when(wave.freeze.endsAt)}`}`,
              ]
            : []),
        ]),
        `  estimated: ${duration(plan.estimatedDurationSeconds)}, ~$${plan.estimatedCostUsd.toFixed(4)}`,
      ].join('\n'),
    );
    return 0;
  },
  deploy: async (args, context) => {
    const { values, positionals } = parse(args, deployOptions, { min: 3, max: 3, names: '<service> <env> <version>' });
    const key = str(values['idempotency-key']);
    const accepted = await context.api.post<{ deploymentId: string; status: string; href: string }>(
      '/v1/deployments',
      deployBody(positionals, values),
      key ? { 'idempotency-key': key } : {},
    );
    print(
      context,
      accepted,
      () => `${accepted.deploymentId} ${accepted.status}\n  follow it: flightplan watch ${accepted.deploymentId}`,
    );
    return 0;
  },
  abort: async (args, context) => {
    const { positionals } = parse(args, {}, { min: 1, max: 1, names: '<deployment id>' });
    const result = await context.api.post<{ deploymentId: string; status: string }>(
      `/v1/deployments/${encodeURIComponent(positionals[0] ?? '')}/abort`,
    );
    print(
      context,
      result,
      () => `abort requested for ${result.deploymentId} (${result.status}); it rolls back what it deployed`,
    );
    return 0;
  },
  override: async (args, context) => {
    const { values, positionals } = parse(
      args,
      { reason: { type: 'string' } },
      { min: 1, max: 1, names: '<deployment id>' },
    );
    if (!str(values['reason'])) throw new UsageError('override needs --reason "why"');
    const result = await context.api.post<{ deploymentId: string; waveOverrides: { region: string }[] }>(
      `/v1/deployments/${encodeURIComponent(positionals[0] ?? '')}/override`,
      { reason: str(values['reason']) },
    );
    print(
      context,
      result,
      () =>
        `released ${result.waveOverrides.at(-1)?.region ?? 'the blocked wave'} of ${result.deploymentId}; it deploys at the next retry`,
    );
    return 0;
  },
  approvals: async (args, context) => {
    parse(args, {}, { min: 0, max: 0, names: '' });
    const page = await context.api.get<{
      items: {
        id: string;
        team: string;
        requestedBy: string;
        expiresAt: string;
        subject: { kind: string; summary: string };
        noEligibleApprover?: string | null;
      }[];
    }>('/v1/approvals?status=PENDING&limit=100');
    print(context, page, () =>
      page.items.length === 0
        ? 'Nothing waits on you.'
        : table(
            ['id', 'what', 'team', 'asked by', 'expires'],
            page.items.map((item) => [
              item.id,
              item.subject.summary,
              item.team,
              item.requestedBy,
              when(item.expiresAt),
            ]),
          ),
    );
    return 0;
  },
  approve: (args, context) => vote(args, context, 'APPROVE'),
  reject: (args, context) => vote(args, context, 'REJECT'),
  provision: async (args, context) => {
    const { values, positionals } = parse(
      args,
      { spec: { type: 'string' }, reason: { type: 'string' }, 'idempotency-key': { type: 'string' } },
      { min: 5, max: 5, names: '<service> <env> <region> <type> <name>' },
    );
    let spec: unknown;
    try {
      spec = str(values['spec']) ? JSON.parse(str(values['spec']) ?? '') : undefined;
    } catch {
      throw new UsageError('--spec must be JSON, for example \'{"fifo":true}\'');
    }
    const [service, environment, region, type, name] = positionals;
    const key = str(values['idempotency-key']);
    const accepted = await context.api.post<{ id: string; status: string }>(
      '/v1/provisioning-requests',
      {
        service,
        environment,
        region,
        type,
        name,
        ...(spec === undefined ? {} : { spec }),
        ...(str(values['reason']) ? { reason: str(values['reason']) } : {}),
      },
      key ? { 'idempotency-key': key } : {},
    );
    print(context, accepted, () => `${accepted.id} ${accepted.status}`);
    return 0;
  },
  requests: async (args, context) => {
    const { values } = parse(args, envFlag, { min: 0, max: 0, names: '' });
    const page = await context.api.get<{
      items: {
        id: string;
        service: string;
        environment: string;
        region: string;
        type: string;
        name: string;
        status: string;
        pullRequest?: { url: string; state: string } | null;
      }[];
    }>(
      `/v1/provisioning-requests${query({ service: str(values['service']), environment: str(values['env']), status: str(values['status']), limit: str(values['limit']) })}`,
    );
    print(context, page, () =>
      page.items.length === 0
        ? 'No provisioning requests.'
        : table(
            ['id', 'service', 'env', 'region', 'type', 'name', 'status', 'pull request'],
            page.items.map((item) => [
              item.id,
              item.service,
              item.environment,
              item.region,
              item.type,
              item.name,
              item.status,
              item.pullRequest ? `${item.pullRequest.url} (${item.pullRequest.state})` : '',
            ]),
          ),
    );
    return 0;
  },
  services: async (args, context) => {
    parse(args, {}, { min: 0, max: 0, names: '' });
    const page = await context.api.get<{
      items: { name: string; team: string; tier: string; status: string; repository: string }[];
    }>('/v1/services?limit=100');
    print(context, page, () =>
      table(
        ['name', 'team', 'tier', 'status', 'repository'],
        page.items.map((item) => [item.name, item.team, item.tier, item.status, item.repository]),
      ),
    );
    return 0;
  },
  'create-service': async (args, context) => {
    const { values, positionals } = parse(
      args,
      {
        team: { type: 'string' },
        tier: { type: 'string' },
        template: { type: 'string' },
        description: { type: 'string' },
        domain: { type: 'string' },
      },
      { min: 1, max: 1, names: '<name>' },
    );
    const body = Object.fromEntries(
      Object.entries({
        name: positionals[0],
        team: str(values['team']),
        tier: str(values['tier']),
        template: str(values['template']),
        description: str(values['description']),
        domain: str(values['domain']),
      }).filter(([, value]) => value !== undefined),
    );
    const accepted = await context.api.post<{ id: string; status: string }>('/v1/services', body);
    print(context, accepted, () => `${accepted.id} ${accepted.status}`);
    return 0;
  },
  audit: async (args, context) => {
    const { values, positionals } = parse(
      args,
      { limit: { type: 'string', default: '10' } },
      { min: 1, max: 1, names: '<service>' },
    );
    const name = positionals[0] ?? '';
    const service = await context.api.get<{ events: { at: string; actor: string; message: string }[] }>(
      `/v1/services/${encodeURIComponent(name)}`,
    );
    const page = await context.api.get<{ items: { id: string }[] }>(
      `/v1/deployments${query({ service: name, limit: str(values['limit']) })}`,
    );
    const details = await Promise.all(
      page.items.map((item) => context.api.get<Deployment>(`/v1/deployments/${encodeURIComponent(item.id)}`)),
    );
    const trail = [
      ...service.events.map((event) => ({ ...event, subject: name })),
      ...details.flatMap((deployment) =>
        deployment.events.map((event) => ({
          ...event,
          actor: (event as { actor?: string }).actor ?? '',
          subject: deployment.id,
        })),
      ),
    ].sort((a, b) => a.at.localeCompare(b.at));
    print(context, trail, () =>
      trail.length === 0
        ? 'No audit entries.'
        : table(
            ['at', 'actor', 'subject', 'what'],
            trail.map((event) => [when(event.at), event.actor, event.subject, event.message.split('\n')[0]]),
          ),
    );
    return 0;
  },
  login: async (args, context) => {
    const { values } = parse(
      args,
      { issuer: { type: 'string' }, 'client-id': { type: 'string' } },
      { min: 0, max: 0, names: '' },
    );
    const result = await login({
      env: context.io.env,
      url: context.url,
      issuer: str(values['issuer']) ?? context.io.env['FLIGHTPLAN_OIDC_ISSUER'],
      clientId: str(values['client-id']) ?? context.io.env['FLIGHTPLAN_OIDC_CLIENT_ID'] ?? 'flightplan-cli',
      say: (line) => {
        context.io.err(line);
      },
      sleep: context.io.sleep,
    });
    print(context, result, () => `Logged in to ${context.url} until ${when(result.expiresAt)}`);
    return 0;
  },
  local: async (args, context) => {
    const [sub, ...rest] = args;
    const handler = sub ? LOCAL[sub] : undefined;
    if (!handler) throw new UsageError(`local needs one of ${Object.keys(LOCAL).join(', ')}`);
    requireLocal(context);
    return handler(rest, context);
  },
};

async function vote(args: string[], context: Context, decision: 'APPROVE' | 'REJECT'): Promise<number> {
  const { values, positionals } = parse(
    args,
    { comment: { type: 'string' } },
    { min: 1, max: 1, names: '<approval id>' },
  );
  const comment = str(values['comment']);
  const approval = await context.api.post<{ id: string; status: string; votes: unknown[] }>(
    `/v1/approvals/${encodeURIComponent(positionals[0] ?? '')}/votes`,
    { decision, ...(comment ? { comment } : {}) },
  );
  print(
    context,
    approval,
    () => `${decision === 'APPROVE' ? 'approved' : 'rejected'}: ${approval.id} is ${approval.status}`,
  );
  return 0;
}

/** The local runtime's FLIGHTPLAN_TIME_SCALE, so a bake countdown runs at the speed the runtime does. */
async function localTimeScale(context: Context): Promise<number> {
  if (!isLocalUrl(context.url)) return 1;
  try {
    const health = (await (await fetch(`${context.url}/healthz`)).json()) as { timeScale?: number };
    return typeof health.timeScale === 'number' && health.timeScale > 0 ? health.timeScale : 1;
  } catch {
    return 1;
  }
}
