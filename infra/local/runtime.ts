import './log-defaults.js';
import { readFile, rm, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { z } from 'zod';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import {
  DynamoDbApprovalStore,
  DynamoDbCatalogStore,
  DynamoDbDeploymentStore,
  DynamoDbLockStore,
  DynamoDbWaitStore,
} from '../../functions/adapters/aws/dynamodb-store.js';
import { DynamoDbProvisioningStore } from '../../functions/adapters/aws/dynamodb-provisioning-store.js';
import { GitRepoGitOps } from '../../functions/adapters/local/git-repo-gitops.js';
import { GithubSimulator } from '../../functions/adapters/local/github-simulator.js';
import { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import { DeploymentChangePublisher } from '../../functions/adapters/deployment-change-publisher.js';
import { declaredPortsOf } from '../../functions/declaration.js';
import { voidApprovalOfEndedWorkflow } from '../../functions/use-cases/approvals.js';
import {
  DeterministicArtifactRegistry,
  EnvironmentSecrets,
  HealthSimulator,
  RecordingMetrics,
  systemClock,
} from '../../functions/adapters/local/local-adapters.js';
import {
  DEFAULT_LOCK_LEASE_SECONDS,
  ENV,
  LOCAL_DEFAULTS,
  freezeWindowsFrom,
  numberEnv,
  optionalEnv,
  selfServiceSettingsFrom,
} from '../../functions/config.js';
import type { FreezeWindow } from '../../functions/domain/freeze-window.js';
import { localPromqlWindowSeconds } from '../../functions/health-settings.js';
import { environmentSchema } from '../../functions/domain/catalog.js';
import { json, parseJson, type HttpEvent, type HttpResult } from '../../functions/http/http-handler.js';
import { problemFor, problemResponse } from '../../functions/http/problem.js';
import { ValidationError } from '../../functions/errors.js';
import type {
  Dependencies,
  ExecutionDescription,
  SelfServiceSettings,
  StateMachineName,
} from '../../functions/ports/index.js';
import type { BusEntry } from '../../events/envelope.js';
import { EXECUTION_STATUS_CHANGE_DETAIL_TYPE } from '../../events/execution-status-changed.js';
import { deliverGithubWebhook, pullRequestPayload, pushPayload, workflowRunPayload } from './github-payloads.js';
import { FUNCTIONS, ROUTES, RULES, STATE_MACHINES, TABLES, functionPlaceholder, type FunctionId } from '../system.js';
import { ArgoCdSimulator } from './argocd-simulator.js';
import { consoleRoutes } from './console-routes.js';
import { LocalFaults, dynamoDbFaultSchema, functionFaultSchema } from './faults.js';
import { seedDemoOrganization } from './demo-catalog.js';
import { ensureTables, localClient, startDynamoDb, type RunningDynamoDb } from './dynamodb-local.js';
import { DynamoDbExecutionJournal, EXECUTIONS_TABLE_DESIGN, LOCAL_EXECUTIONS_TABLE } from './execution-journal.js';
import { createLocalServer, type LocalRoute } from './http-server.js';
import { LocalBus } from './local-bus.js';
import { LocalIssuer } from './local-issuer.js';
import { lambdaContext } from './lambda-context.js';
import { demoTargets, localHealthSource } from './local-health.js';
import { LocalWorkflowEngine, type LocalStateMachine, type ResumeReport } from './local-workflow-engine.js';

export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..', '..');

export interface LocalRuntimeOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  /** Start from empty state. */
  fresh?: boolean;
  /** Keep DynamoDB in memory instead of under dataDir (tests). */
  inMemory?: boolean;
  timeScale: number;
  /** Defaults to FLIGHTPLAN_FREEZE_WINDOWS. The array is live: tests change it while running. */
  freezeWindows?: FreezeWindow[];
  /** Gates and bakes read PromQL from this Prometheus; defaults to FLIGHTPLAN_PROMETHEUS_URL, unset reads the simulator. */
  prometheusUrl?: string;
  log?: (line: string) => void;
}

export interface LocalRuntime {
  url: string;
  port: number;
  dataDir: string;
  timeScale: number;
  dynamoDbEndpoint: string;
  deps: Dependencies;
  bus: LocalBus;
  workflows: LocalWorkflowEngine;
  health: HealthSimulator;
  gitops: GitRepoGitOps;
  issuer: LocalIssuer;
  argo: ArgoCdSimulator;
  chat: RecordingChat;
  github: GithubSimulator;
  /** What ran, for the cost benchmark: invocations per function and DynamoDB write requests. */
  usage: RuntimeUsage;
  faults: LocalFaults;
  /** What the start resumed of the executions the last process left running. */
  resumed: ResumeReport;
  stop(): Promise<void>;
}

type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface RuntimeUsage {
  invocations: Partial<Record<FunctionId, number>>;
  /** Items written: a transaction of n items counts n (DynamoDB bills each, twice for transactions). */
  dynamoWriteItems: number;
  dynamoTransactionItems: number;
}

const WRITE_COMMANDS = new Set(['PutItemCommand', 'DeleteItemCommand', 'UpdateItemCommand', 'BatchWriteItemCommand']);

export const simHealthSchema = z.object({
  service: z.string().min(1),
  environment: environmentSchema,
  region: z.string().min(1),
  healthy: z.boolean(),
  errorRate: z.number().min(0).max(1).optional(),
  p99Ms: z.number().min(0).optional(),
  /** Requests seen in the window; a bake with too few is inconclusive. */
  requestCount: z.number().int().min(0).optional(),
});
export const simAlarmSchema = z.object({
  service: z.string().min(1),
  /** Alarms are named `{service}-{environment}-…`; the default name says which environment. */
  environment: environmentSchema.default('prod'),
  region: z.string().min(1),
  state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  alarmName: z.string().min(1).optional(),
});

export function localOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<LocalRuntimeOptions, 'port' | 'dataDir' | 'timeScale'> {
  return {
    port: numberEnv(ENV.port, LOCAL_DEFAULTS.port, env),
    dataDir: resolve(optionalEnv(ENV.dataDir, LOCAL_DEFAULTS.dataDir, env)),
    timeScale: numberEnv(ENV.timeScale, LOCAL_DEFAULTS.timeScale, env),
  };
}

/**
 * Starts Flightplan on this machine from the system declaration: DynamoDB Local with the same
 * tables, the in-process bus with the same rules, the same ASL on the local runner, the same
 * handlers behind the same routes, and simulators for Argo CD and health.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  if (options.fresh) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });

  const stoppers: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const stopper of stoppers.reverse()) await stopper();
  };
  try {
    const dynamoDb: RunningDynamoDb = await startDynamoDb(
      options.inMemory ? {} : { dataDir: join(dataDir, 'dynamodb') },
    );
    stoppers.push(() => dynamoDb.stop());
    const usage: RuntimeUsage = { invocations: {}, dynamoWriteItems: 0, dynamoTransactionItems: 0 };
    dynamoDb.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { TransactItems?: unknown[] };
        if (context.commandName === 'TransactWriteItemsCommand')
          usage.dynamoTransactionItems += input.TransactItems?.length ?? 0;
        else if (WRITE_COMMANDS.has(context.commandName ?? '')) usage.dynamoWriteItems += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countWrites' },
    );
    const faults = new LocalFaults();
    faults.attach(dynamoDb.client);
    await ensureTables(dynamoDb.client, [
      { name: LOCAL_DEFAULTS.tableName, design: TABLES.main },
      { name: LOCAL_DEFAULTS.idempotencyTableName, design: TABLES.idempotency },
    ]);
    // Step Functions' own state: a client of its own, so neither the cost counter nor injected
    // DynamoDB faults see it (on AWS it is not in our tables at all).
    const journalClient = localClient(dynamoDb.endpoint);
    stoppers.push(() => {
      journalClient.destroy();
    });
    await ensureTables(journalClient, [{ name: LOCAL_EXECUTIONS_TABLE, design: EXECUTIONS_TABLE_DESIGN }]);

    const gitops = new GitRepoGitOps(join(dataDir, 'gitops'));
    await gitops.init();
    const issuer = await LocalIssuer.open(dataDir);
    const health = new HealthSimulator({ windowSeconds: localPromqlWindowSeconds(options.timeScale) });
    health.serve(demoTargets());
    const bus = new LocalBus({
      retryDelayMs: 1000 / options.timeScale,
      onDeliveryError: (rule, event, error) => {
        log(`bus: ${rule} failed for ${event['detail-type']}: ${(error as Error).message}`);
      },
    });

    const table = LOCAL_DEFAULTS.tableName;
    const handlers = {} as Record<FunctionId, AnyHandler>;
    // The engine exists before the dependencies it is part of; it reaches them once composed.
    const composed: { deps?: Dependencies } = {};
    const workflows = new LocalWorkflowEngine(
      await loadStateMachines(handlers),
      options.timeScale,
      (execution, state) => {
        log(`sfn: ${execution} → ${state}`);
      },
      {
        journal: new DynamoDbExecutionJournal(journalClient, LOCAL_EXECUTIONS_TABLE),
        // What an execution that cannot resume (its definition is gone) continues at: the normal rollback or failure recording.
        compensation: { deployment: 'Roll back', provisioning: 'Record failure', serviceCreation: 'Record failure' },
        onExecutionEnded: async (execution) => {
          if (composed.deps && execution.stateMachine === 'approval')
            await voidApprovalOfEndedWorkflow(composed.deps, execution);
          // Step Functions' own "Execution Status Change" event, which the default bus carries on AWS.
          await bus.publish([executionStatusChangeEntry({ ...execution, input: JSON.stringify(execution.input) })]);
        },
        log,
      },
    );
    // Stopped in reverse: executions first, then what they were still doing, then DynamoDB.
    stoppers.push(() => gitops.idle());
    stoppers.push(() => bus.idle());
    stoppers.push(() => workflows.stopAll());
    // Kept under the data directory, as Slack keeps messages: a resumed approval still updates its own.
    // Links point at the server's own URL once it listens, unless a portal URL is set.
    const chat = new RecordingChat(join(dataDir, 'slack-messages.jsonl'), () => optionalEnv(ENV.portalUrl, url));
    const selfService = selfServiceSettingsFrom(process.env);
    const github = new GithubSimulator(join(dataDir, 'github'));
    await github.open([
      {
        repository: selfService.terraformRepository,
        readme:
          '# Terraform\n\nOne file per resource at {account}/{env}/{region}/{type}/{service}/{name}.tf, added by Flightplan pull requests. Merging applies.\n',
      },
    ]);
    stoppers.push(() => github.idle());
    const secrets = new EnvironmentSecrets();
    const deps: Dependencies = {
      deployments: new DeploymentChangePublisher(new DynamoDbDeploymentStore(dynamoDb.client, table), bus),
      catalog: new DynamoDbCatalogStore(dynamoDb.client, table),
      locks: new DynamoDbLockStore(
        dynamoDb.client,
        table,
        numberEnv(ENV.lockLeaseSeconds, DEFAULT_LOCK_LEASE_SECONDS) / options.timeScale,
      ),
      waits: new DynamoDbWaitStore(dynamoDb.client, table),
      bus,
      workflows,
      gitops,
      artifacts: new DeterministicArtifactRegistry(),
      health: localHealthSource(health, {
        prometheusUrl: options.prometheusUrl ?? process.env[ENV.prometheusUrl],
        timeScale: options.timeScale,
      }),
      clock: systemClock,
      githubWebhookSecret: { value: () => secrets.get('githubWebhookSecret') },
      argocdToken: { value: () => secrets.get('argocdToken') },
      slackSigningSecret: { value: () => secrets.get('slackSigningSecret') },
      idempotency: new DynamoDBPersistenceLayer({
        tableName: LOCAL_DEFAULTS.idempotencyTableName,
        awsSdkV3Client: dynamoDb.client,
      }),
      chat,
      githubDeployments: github,
      approvals: new DynamoDbApprovalStore(dynamoDb.client, table),
      freezeWindows: options.freezeWindows ?? freezeWindowsFrom(process.env),
      metrics: new RecordingMetrics(),
      provisioning: new DynamoDbProvisioningStore(dynamoDb.client, table),
      codeHost: github,
      selfService,
    };
    composed.deps = deps;
    for (const [id, spec] of Object.entries(FUNCTIONS) as [FunctionId, (typeof FUNCTIONS)[FunctionId]][]) {
      // Only the declared ports: a use of any other fails here as it would on AWS. And one
      // persistence layer per function, as on AWS: Powertools configures a layer once, for its first user.
      const { declaration } = spec.module;
      const handle = declaration.createHandler(
        declaredPortsOf(
          {
            ...deps,
            idempotency: new DynamoDBPersistenceLayer({
              tableName: LOCAL_DEFAULTS.idempotencyTableName,
              awsSdkV3Client: dynamoDb.client,
            }),
          },
          declaration.ports,
        ),
      );
      handlers[id] = (event, context) => {
        usage.invocations[id] = (usage.invocations[id] ?? 0) + 1;
        const fault = faults.takeFunctionFault(id);
        return fault ? Promise.reject(fault) : handle(event, context);
      };
    }
    bus.setRules(
      RULES.map((rule) => ({
        name: rule.name,
        pattern: rule.pattern,
        target: (event) => handlers[rule.target](event, lambdaContext(rule.target)),
      })),
    );

    // Every execution the last process left RUNNING continues where it was, as on Step Functions.
    const resumed = await workflows.resume();
    if (resumed.resumed + resumed.compensated + resumed.failed > 0) {
      log(
        `resumed ${resumed.resumed} execution(s) in ${resumed.milliseconds} ms${resumed.compensated > 0 ? `; ${resumed.compensated} could not resume and roll back or record their failure` : ''}${resumed.failed > 0 ? `; ${resumed.failed} could not resume and failed` : ''}`,
      );
    }

    // Known once the server listens; the GitHub controls deliver webhooks to it.
    let url = '';
    // The demo organization comes in over HTTP once the server listens; until then /healthz says not yet.
    let ready = false;
    const server = createLocalServer({
      routes: [
        ...ROUTES.map((route): LocalRoute => ({
          ...route,
          handle: (event, context) => handlers[route.function](event, context) as Promise<HttpResult>,
        })),
        ...localControlRoutes(health, bus, chat, options.timeScale, () => ready),
        ...consoleRoutes({ distDir: join(REPOSITORY_ROOT, 'console', 'dist'), issuer }),
        control('POST', '/local/slack/users', (event) => {
          const user = slackUserSchema.parse(parseJson(event.body || '{}'));
          return json(200, chat.addUser(user));
        }),
        control('POST', '/local/faults/functions', (event) => {
          const fault = functionFaultSchema.parse(parseJson(event.body || '{}'));
          faults.addFunctionFault(fault);
          return json(200, { ...fault, status: 'armed' });
        }),
        control('POST', '/local/faults/dynamodb', (event) => {
          const fault = dynamoDbFaultSchema.parse(parseJson(event.body || '{}'));
          faults.throttleDynamoDb(fault.requests);
          return json(200, { ...fault, status: 'armed' });
        }),
        ...githubControlRoutes(github, selfService, (eventName, payload) =>
          deliverGithubWebhook(
            url,
            optionalEnv(ENV.githubWebhookSecret, LOCAL_DEFAULTS.githubWebhookSecret),
            eventName,
            payload,
          ),
        ),
      ],
      issuer,
      onError: (error) => {
        log(`http: ${(error as Error).stack ?? String(error)}`);
      },
    });
    const port = await listen(server, options.port);
    stoppers.push(
      () =>
        new Promise<void>((resolveClose) =>
          server.close(() => {
            resolveClose();
          }),
        ),
    );
    stoppers.push(() => {
      server.closeAllConnections();
    });
    url = `http://127.0.0.1:${port}`;
    await seedDemoOrganization(url, (claims) => issuer.sign(claims));
    await bus.idle();
    ready = true;

    const argo = new ArgoCdSimulator({
      gitops,
      health,
      webhookUrl: `${url}/webhooks/argocd`,
      token: await deps.argocdToken.value(),
      timeScale: options.timeScale,
      onError: (error) => {
        log(`argocd-sim: ${(error as Error).message}`);
      },
    });
    await argo.start();
    stoppers.push(() => {
      argo.stop();
    });

    return {
      url,
      port,
      dataDir,
      timeScale: options.timeScale,
      dynamoDbEndpoint: dynamoDb.endpoint,
      deps,
      bus,
      workflows,
      health,
      gitops,
      issuer,
      argo,
      chat,
      github,
      usage,
      faults,
      resumed,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What Step Functions puts on the default bus when an execution ends (here: when it is stopped). */
function executionStatusChangeEntry(execution: ExecutionDescription & { input: string }): BusEntry {
  const stateMachineArn = execution.executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/u, '');
  return {
    source: 'aws.states',
    detailType: EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: Date.parse(execution.startDate),
      stopDate: execution.stopDate ? Date.parse(execution.stopDate) : null,
      input: execution.input,
      output: null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

async function loadStateMachines(
  handlers: Record<FunctionId, AnyHandler>,
): Promise<Record<StateMachineName, LocalStateMachine>> {
  const entries = await Promise.all(
    Object.entries(STATE_MACHINES).map(async ([name, spec]) => {
      const definition = JSON.parse(await readFile(join(REPOSITORY_ROOT, spec.definitionFile), 'utf8')) as object;
      const functions = Object.fromEntries(
        spec.steps.map((step) => [
          functionPlaceholder(step),
          (payload: unknown, _context: Context) => handlers[step](payload, lambdaContext(step)),
        ]),
      );
      return [name, { definition, functions, stateMachines: spec.stateMachineSubstitutions ?? {} }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<StateMachineName, LocalStateMachine>;
}

export const control = (
  method: string,
  path: string,
  handle: (event: HttpEvent) => Promise<HttpResult> | HttpResult,
): LocalRoute => ({
  method,
  path,
  auth: 'none',
  handle: async (event) => {
    try {
      return await handle(event);
    } catch (error) {
      return problemResponse(problemFor(error));
    }
  },
});

const pullRequestQuerySchema = z.object({
  repository: z.string().min(1).optional(),
  state: z.enum(['open', 'merged', 'closed']).optional(),
});
const mergeSchema = z.object({
  repository: z.string().min(1).optional(),
  /** Who merged: the sender of the webhooks. */
  by: z.string().min(1).default('carol'),
  /** How the apply workflow's run on the merge commit ends; `none` sends no workflow_run yet. */
  apply: z.enum(['success', 'failure', 'cancelled', 'none']).default('success'),
});
export const slackUserSchema = z
  .object({
    id: z.string().regex(/^[UW][A-Z0-9]{2,20}$/u, 'a Slack user id such as UALICE'),
    email: z.email().optional(),
    name: z.string().min(1),
    isBot: z.boolean().optional(),
  })
  .strict();
const commitSchema = z
  .object({
    /** Path → content; null deletes the file. */
    files: z.record(
      z
        .string()
        .min(1)
        .refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'a path inside the repository'),
      z.string().nullable(),
    ),
    message: z.string().min(1),
    /** The GitHub login that pushes: the push webhook's sender. */
    author: z.string().min(1).default('carol'),
  })
  .strict();
const closeSchema = z.object({ repository: z.string().min(1).optional(), by: z.string().min(1).default('carol') });

type WebhookDelivery = (
  eventName: string,
  payload: Record<string, unknown>,
) => Promise<{ event: string; status: number; body: unknown }>;

/**
 * What a person does on GitHub, for the demo and tests: list the simulated pull requests, merge
 * one (then GitHub's `pull_request` closed and the apply workflow's `workflow_run` webhooks are
 * delivered, signed, to /webhooks/github), or close one unmerged.
 */
export function githubControlRoutes(
  github: GithubSimulator,
  selfService: SelfServiceSettings,
  deliver: WebhookDelivery,
): LocalRoute[] {
  const numberOf = (event: HttpEvent) => z.coerce.number().int().positive().parse(event.pathParameters?.['number']);
  let runId = Date.now() % 1_000_000;
  return [
    control('POST', '/local/github/repositories/{owner}/{name}/commits', async (event) => {
      const repository = `${event.pathParameters?.['owner'] ?? ''}/${event.pathParameters?.['name'] ?? ''}`;
      if (!/^[\w.-]+\/[\w.-]+$/u.test(repository))
        throw new ValidationError('The repository must be owner/name', [{ path: 'path', message: repository }]);
      const request = commitSchema.parse(parseJson(event.body || '{}'));
      const pushed = await github.push(
        repository,
        Object.entries(request.files).map(([path, content]) => ({ path, content })),
        request.message,
        request.author,
      );
      const delivery = await deliver(
        'push',
        pushPayload({
          repository,
          before: pushed.before,
          after: pushed.revision,
          message: request.message,
          added: pushed.added,
          modified: pushed.modified,
          removed: pushed.removed,
          sender: request.author,
        }),
      );
      return json(200, {
        repository,
        revision: pushed.revision,
        added: pushed.added,
        modified: pushed.modified,
        removed: pushed.removed,
        deliveries: [delivery],
      });
    }),
    control('GET', '/local/github/pull-requests', (event) => {
      const query = pullRequestQuerySchema.parse(event.queryStringParameters ?? {});
      return json(200, {
        items: github.listPullRequests({
          ...(query.repository ? { repository: query.repository } : {}),
          ...(query.state ? { state: query.state } : {}),
        }),
      });
    }),
    control('POST', '/local/github/pull-requests/{number}/merge', async (event) => {
      const request = mergeSchema.parse(parseJson(event.body || '{}'));
      const repository = request.repository ?? selfService.terraformRepository;
      const pullRequest = await github.merge(repository, numberOf(event), request.by);
      const mergeCommitSha = pullRequest.mergeCommitSha ?? '';
      const deliveries = [
        await deliver(
          'pull_request',
          pullRequestPayload({
            repository,
            number: pullRequest.number,
            headSha: pullRequest.headSha,
            action: 'closed',
            state: 'closed',
            merged: true,
            mergeCommitSha,
            labels: [],
            sender: request.by,
            branch: pullRequest.branch,
          }),
        ),
      ];
      if (request.apply !== 'none') {
        runId += 1;
        deliveries.push(
          await deliver(
            'workflow_run',
            workflowRunPayload({
              repository,
              workflow: selfService.terraformApplyWorkflow,
              headSha: mergeCommitSha,
              conclusion: request.apply,
              runId,
              sender: request.by,
            }),
          ),
        );
      }
      return json(200, { pullRequest, deliveries });
    }),
    control('POST', '/local/github/pull-requests/{number}/close', async (event) => {
      const request = closeSchema.parse(parseJson(event.body || '{}'));
      const repository = request.repository ?? selfService.terraformRepository;
      const pullRequest = await github.close(repository, numberOf(event), request.by);
      const delivery = await deliver(
        'pull_request',
        pullRequestPayload({
          repository,
          number: pullRequest.number,
          headSha: pullRequest.headSha,
          action: 'closed',
          state: 'closed',
          merged: false,
          labels: [],
          sender: request.by,
          branch: pullRequest.branch,
        }),
      );
      return json(200, { pullRequest, deliveries: [delivery] });
    }),
  ];
}

function localControlRoutes(
  health: HealthSimulator,
  bus: LocalBus,
  chat: RecordingChat,
  timeScale: number,
  isReady: () => boolean,
): LocalRoute[] {
  return [
    // The time scale lets clients (the CLI's bake countdown, the console) run their clocks at the runtime's speed.
    control('GET', '/healthz', () =>
      isReady() ? json(200, { status: 'ok', timeScale }) : json(503, { status: 'starting', timeScale }),
    ),
    control('GET', '/local/slack/messages', (event) => {
      const channel = event.queryStringParameters?.['channel'];
      return json(200, { items: chat.messages.filter((message) => !channel || message.channel === channel) });
    }),
    control('POST', '/local/sim/health', (event) => {
      const request = simHealthSchema.parse(parseJson(event.body ?? ''));
      health.setHealth(request, {
        healthy: request.healthy,
        ...(request.errorRate === undefined ? {} : { errorRate: request.errorRate }),
        ...(request.p99Ms === undefined ? {} : { p99Ms: request.p99Ms }),
        ...(request.requestCount === undefined ? {} : { requestCount: request.requestCount }),
      });
      return json(200, { ...request, status: 'set' });
    }),
    control('GET', '/local/sim/metrics', () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: health.metrics(),
    })),
    control('POST', '/local/sim/alarm', async (event) => {
      const request = simAlarmSchema.parse(parseJson(event.body ?? ''));
      const alarmName = request.alarmName ?? `${request.service}-${request.environment}-${request.region}-simulated`;
      health.setAlarm(request.service, request.region, alarmName, request.state === 'ALARM');
      // What the regional forwarding stack delivers to the home bus on AWS.
      await bus.publish([
        {
          source: 'aws.cloudwatch',
          detailType: 'CloudWatch Alarm State Change',
          resources: [`arn:aws:cloudwatch:${request.region}:000000000000:alarm:${alarmName}`],
          region: request.region,
          detail: {
            alarmName,
            state: {
              value: request.state,
              reason: 'Set by POST /local/sim/alarm',
              timestamp: new Date().toISOString(),
            },
            configuration: { description: `Simulated alarm for ${request.service}` },
          },
        },
      ]);
      return json(200, {
        service: request.service,
        environment: request.environment,
        region: request.region,
        alarmName,
        state: request.state,
      });
    }),
  ];
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolveListen(address && typeof address === 'object' ? address.port : port);
    });
  });
}
