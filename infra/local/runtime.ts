import './log-defaults.js';
import { rm, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { GitRepoGitOps } from '../../functions/adapters/local/git-repo-gitops.js';
import { GithubSimulator } from '../../functions/adapters/local/github-simulator.js';
import { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import { voidApprovalOfEndedWorkflow } from '../../functions/use-cases/approvals.js';
import { HealthSimulator } from '../../functions/adapters/local/local-adapters.js';
import { ENV, LOCAL_DEFAULTS, numberEnv, optionalEnv } from '../../functions/config.js';
import { freezeWindowsFrom } from '../../functions/config-freeze-windows.js';
import { selfServiceSettingsFrom } from '../../functions/config-self-service.js';
import type { FreezeWindow } from '../../functions/domain/freeze-window.js';
import { localPromqlWindowSeconds } from '../../functions/health-settings.js';
import { json, parseJson, type HttpResult } from '../../functions/http/http-handler.js';
import type { Dependencies } from '../../functions/ports/index.js';
import { deliverGithubWebhook } from './github-payloads.js';
import { FUNCTIONS, REPOSITORY_ROOT, ROUTES, RULES, TABLES, type FunctionId, type FunctionSpec } from '../system.js';
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
import { demoTargets } from './local-health.js';
import { LocalWorkflowEngine, type ResumeReport } from './local-workflow-engine.js';
import { control, localControlRoutes, slackUserSchema } from './control-routes.js';
import { githubControlRoutes } from './github-controls.js';
import { localDependencies, localHandlers } from './local-dependencies.js';
import { executionStatusChangeEntry, loadStateMachines, type AnyHandler } from './local-state-machines.js';

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

export interface RuntimeUsage {
  invocations: Partial<Record<FunctionId, number>>;
  /** Items written: a transaction of n items counts n (DynamoDB bills each, twice for transactions). */
  dynamoWriteItems: number;
  dynamoTransactionItems: number;
}

/**
 * Deliveries to one bus target in flight at once, where the function declares no reserved
 * concurrency: enough for every scenario's parallel events, few enough that a burst (a flood of
 * Slack clicks) waits for its worker instead of starving the HTTP server on the same event loop.
 */
const LOCAL_FUNCTION_CONCURRENCY = 10;

const WRITE_COMMANDS = new Set(['PutItemCommand', 'DeleteItemCommand', 'UpdateItemCommand', 'BatchWriteItemCommand']);

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
    const deps = localDependencies({
      client: dynamoDb.client,
      bus,
      workflows,
      gitops,
      health,
      chat,
      github,
      selfService,
      timeScale: options.timeScale,
      freezeWindows: options.freezeWindows ?? freezeWindowsFrom(process.env),
      prometheusUrl: options.prometheusUrl ?? process.env[ENV.prometheusUrl],
    });
    composed.deps = deps;
    Object.assign(
      handlers,
      localHandlers(deps, dynamoDb.client, (id, handle) => (event, context) => {
        usage.invocations[id] = (usage.invocations[id] ?? 0) + 1;
        const fault = faults.takeFunctionFault(id);
        return fault ? Promise.reject(fault) : handle(event, context);
      }),
    );
    bus.setRules(
      RULES.map((rule) => ({
        name: rule.name,
        pattern: rule.pattern,
        target: (event) => handlers[rule.target](event, lambdaContext(rule.target)),
        concurrency: {
          key: rule.target,
          limit: (FUNCTIONS[rule.target] as FunctionSpec).reservedConcurrency ?? LOCAL_FUNCTION_CONCURRENCY,
        },
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

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolveListen(address && typeof address === 'object' ? address.port : port);
    });
  });
}
