import '../local/log-defaults.js';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { GitRepoGitOps } from '../../functions/adapters/local/git-repo-gitops.js';
import { GithubSimulator } from '../../functions/adapters/local/github-simulator.js';
import { HealthSimulator } from '../../functions/adapters/local/local-adapters.js';
import { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import { ENV, LOCAL_DEFAULTS, optionalEnv } from '../../functions/config.js';
import { selfServiceSettingsFrom } from '../../functions/config-self-service.js';
import { ArgoCdSimulator } from '../local/argocd-simulator.js';
import { seedDemoOrganization } from '../local/demo-catalog.js';
import { startDynamoDb } from '../local/dynamodb-local.js';
import { LocalIssuer } from '../local/local-issuer.js';
import type { LocalWorkflowEngine } from '../local/local-workflow-engine.js';
import { TwinApiGateway } from './api-gateway.js';
import { assetDirectoryOf, loadAssembly, resourcesOfType, StackResolver, type CloudAssembly } from './assembly.js';
import { AwsServiceError, listen, Principals, startJsonEndpoint, type RunningEndpoint } from './aws-endpoint.js';
import { twinControlRoutes, serveControl, type ControlRoute } from './controls.js';
import { createTemplateTables, startDynamoDbEndpoint } from './dynamodb.js';
import { startEventBridgeEndpoint, TwinEventBridge } from './eventbridge.js';
import { IamPolicies } from './iam.js';
import { LambdaService, type TwinFunctionSpec } from './lambda.js';
import { startTwinServices, type TwinServices } from './services.js';
import { startStepFunctionsEndpoint, stateMachinesFrom, TwinWorkflows } from './stepfunctions.js';
import { ensureCloudAssembly } from './synth.js';

export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..', '..');
/** Where `npm run synth` writes: the twin runs the assembly CI synthesized and tested. */
export const DEFAULT_ASSEMBLY = join(REPOSITORY_ROOT, 'cdk.out');
const CONTROL_PLANE_STACK = 'Flightplan';
/** The operator's role: what `aws stepfunctions list-executions` against the twin signs as. */
const OPERATOR_ROLE = 'TwinOperator';

export interface TwinOptions {
  /** 0 picks a free port. */
  port: number;
  dataDir: string;
  fresh?: boolean;
  /** Keep DynamoDB in memory (tests). */
  inMemory?: boolean;
  timeScale: number;
  /** The cloud assembly; synthesized there when missing or older than the sources. */
  assemblyDir?: string;
  /**
   * Start one environment per function before serving (provisioned concurrency): all of them, or
   * those whose logical id starts with one of the given function ids; cold starts otherwise.
   */
  prewarm?: boolean | string[];
  /**
   * How many environments prewarm starts for the functions whose logical id starts with a key
   * (one for the others): the concurrency they reach while a scaled wait is running.
   */
  prewarmEnvironments?: Record<string, number>;
  log?: (line: string) => void;
}

export interface TwinEndpoints {
  api: string;
  dynamodb: string;
  stepfunctions: string;
  events: string;
  [service: string]: string;
}

export interface TwinRuntime {
  kind: 'twin';
  url: string;
  port: number;
  dataDir: string;
  timeScale: number;
  assembly: CloudAssembly;
  endpoints: TwinEndpoints;
  /** What an operator signs with to call the twin's AWS endpoints (full access). */
  operatorCredentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  lambda: LambdaService;
  /** The access keys of role sessions: what each function's environment signs with. */
  principals: Principals;
  workflows: LocalWorkflowEngine;
  events: TwinEventBridge;
  iam: IamPolicies;
  issuer: LocalIssuer;
  health: HealthSimulator;
  gitops: GitRepoGitOps;
  github: GithubSimulator;
  chat: RecordingChat;
  argo: ArgoCdSimulator;
  services: TwinServices;
  /** Resolves once every event put so far was delivered and the invocations it caused ended. */
  bus: { idle(): Promise<void> };
  stop(): Promise<void>;
}

/**
 * The AWS twin: runs the cloud assembly, not the sources. Every function of every stack from its
 * bundled asset with its template environment, its AWS SDK clients pointed through
 * AWS_ENDPOINT_URL_* at DynamoDB Local and at endpoints built from the templates (Step Functions,
 * EventBridge, and the services in `services/`), API Gateway from the template's routes, and
 * every call checked against the caller's IAM policies. Its HTTP face is `npm start`'s.
 */
export async function startTwin(options: TwinOptions): Promise<TwinRuntime> {
  const log = options.log ?? (() => undefined);
  const startedAt = Date.now();
  const dataDir = resolve(options.dataDir);
  if (options.fresh) await rm(dataDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  const assemblyDir = options.assemblyDir ?? DEFAULT_ASSEMBLY;
  await ensureCloudAssembly({ root: REPOSITORY_ROOT, outdir: assemblyDir, log });
  const assembly = loadAssembly(assemblyDir);
  const home = assembly.stacks.find((stack) => stack.name === CONTROL_PLANE_STACK);
  if (!home) throw new Error(`The cloud assembly in ${assemblyDir} has no ${CONTROL_PLANE_STACK} stack`);

  const stoppers: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const stopper of stoppers.splice(0).reverse()) {
      try {
        await stopper();
      } catch (error) {
        log(`twin: stopping: ${(error as Error).message}`);
      }
    }
  };
  try {
    // The public face listens first: the API's endpoint is an attribute templates may reference.
    let handle: (request: IncomingMessage, response: ServerResponse) => Promise<void> = (_request, response) => {
      response.writeHead(503).end();
      return Promise.resolve();
    };
    const front = await listen((request, response) => handle(request, response), options.port);
    stoppers.push(() => front.stop());
    const url = front.url;
    const port = Number(new URL(url).port);

    const resolvers = assembly.stacks.map(
      (stack) =>
        new StackResolver(stack, { apiEndpoint: url, queueEndpoint: `https://sqs.${stack.region}.amazonaws.com` }),
    );
    const homeResolver = resolvers.find((resolver) => resolver.stack === home);
    if (!homeResolver) throw new Error('unreachable: no resolver for the home stack');
    const iam = new IamPolicies(resolvers);
    const operatorRoleArn = `arn:aws:iam::${home.account}:role/${OPERATOR_ROLE}`;
    iam.attachOperator(operatorRoleArn);
    const principals = new Principals();
    const operator = principals.register({ roleArn: operatorRoleArn, sessionName: 'operator', label: 'operator' });
    const auth = { iam, log };

    const dynamoDb = await startDynamoDb(options.inMemory ? {} : { dataDir: join(dataDir, 'dynamodb') });
    stoppers.push(() => dynamoDb.stop());
    await createTemplateTables(dynamoDb.client, resolvers);
    const dynamoDbEndpoint = await startDynamoDbEndpoint({
      ...auth,
      principals,
      dynamoDbLocal: dynamoDb.endpoint,
      account: home.account,
      region: home.region,
    });
    stoppers.push(() => dynamoDbEndpoint.stop());

    const specs = functionSpecs(assembly, resolvers);
    const logDirectory = join(dataDir, 'logs');
    await LambdaService.prepareLogDirectory(logDirectory);
    // Known once every endpoint listens; functions start lazily, on their first invocation.
    const environment: Record<string, string> = {};
    const lambda = new LambdaService(specs, {
      runtimeEnvironment: (fn) => lambdaRuntimeEnvironment(fn, principals, environment),
      logDirectory,
      timeScale: options.timeScale,
      log,
    });

    const health = new HealthSimulator();
    const selfService = selfServiceSettingsFrom(process.env);
    const githubApp = {
      appId: specs.map((spec) => spec.environment[ENV.githubAppId]).find(Boolean) ?? '',
      installationId: specs.map((spec) => spec.environment[ENV.githubAppInstallationId]).find(Boolean) ?? '',
    };
    const services = await startTwinServices({
      resolvers,
      principals,
      iam,
      log,
      health,
      chat: new RecordingChat(),
      dataDir,
      githubApp,
      account: home.account,
      region: home.region,
      webhooks: () => ({ url, secret: optionalEnv(ENV.githubWebhookSecret, LOCAL_DEFAULTS.githubWebhookSecret) }),
    });
    stoppers.push(() => services.stop());
    const chat = services.slack?.chat ?? new RecordingChat();
    // Without GitHub's emulation the repositories still exist, so Argo CD and the controls work.
    const github = services.github?.simulator ?? new GithubSimulator(join(dataDir, 'github'));
    const gitops = services.github?.gitops ?? new GitRepoGitOps(join(dataDir, 'github', 'gitops'));
    if (!services.github) {
      await gitops.init();
      await github.open([{ repository: selfService.terraformRepository, readme: '# Terraform\n' }]);
    }
    stoppers.push(() => github.idle());
    stoppers.push(() => gitops.idle());

    const workflows = new TwinWorkflows(
      stateMachinesFrom(resolvers),
      lambda,
      auth,
      options.timeScale,
      (execution, state) => {
        log(`sfn: ${execution} → ${state}`);
      },
    );
    stoppers.push(() => lambda.stop());
    stoppers.push(() => workflows.engine.stopAll());
    const stepFunctions = await startStepFunctionsEndpoint({ ...auth, workflows, principals });
    stoppers.push(() => stepFunctions.stop());

    const events = new TwinEventBridge(resolvers, lambda, auth, options.timeScale);
    stoppers.push(() => {
      events.stop();
    });
    const eventBridge = await startEventBridgeEndpoint({
      events,
      principals,
      account: home.account,
      region: home.region,
      log,
    });
    stoppers.push(() => eventBridge.stop());

    const unemulated = await startJsonEndpoint({
      service: 'unemulated',
      principals,
      targetPrefix: '',
      contentType: 'application/x-amz-json-1.1',
      operations: {},
      log,
    });
    stoppers.push(() => unemulated.stop());

    const endpoints: TwinEndpoints = {
      api: url,
      dynamodb: dynamoDbEndpoint.url,
      stepfunctions: stepFunctions.url,
      events: eventBridge.url,
      ...services.endpoints,
    };
    Object.assign(environment, endpointEnvironment(endpoints, unemulated));

    const prewarm = options.prewarm;
    const prewarmStarted = Date.now();
    const environments = (spec: TwinFunctionSpec) =>
      Object.entries(options.prewarmEnvironments ?? {}).find(([id]) => spec.logicalId.startsWith(id))?.[1] ?? 1;
    if (prewarm === true) await lambda.prewarm(2, undefined, environments);
    else if (Array.isArray(prewarm))
      await lambda.prewarm(2, (spec) => prewarm.some((id) => spec.logicalId.startsWith(id)), environments);
    if (prewarm)
      log(
        `twin: ${lambda.stats().filter((fn) => fn.warmContainers > 0).length} functions warm in ${((Date.now() - prewarmStarted) / 1000).toFixed(1)} s`,
      );

    // The twin plays the identity provider the template trusts (Keycloak on AWS): it signs and
    // verifies with its own key, for the JWT authorizer's issuer and audience.
    const issuer = await LocalIssuer.open(dataDir, jwtNamesOf(homeResolver));
    const gateway = new TwinApiGateway(
      homeResolver,
      lambda,
      async (token, authorizer) => {
        if (authorizer.issuer !== issuer.issuer)
          throw new AwsServiceError('Unauthorized', `the twin plays ${issuer.issuer}, not ${authorizer.issuer}`);
        return issuer.verify(token);
      },
      log,
    );

    const bus = {
      idle: async () => {
        await events.idle();
        await Promise.all([gitops.idle(), github.idle()]);
      },
    };
    const putAlarmEvent = (entry: Parameters<TwinEventBridge['putEvents']>[0][number], region: string) =>
      events.putEvents([entry], { account: home.account, region }, undefined).then(() => undefined);
    const controls: ControlRoute[] = twinControlRoutes({
      health,
      chat,
      github,
      selfService,
      putAlarmEvent,
      webhookUrl: () => url,
      functions: () => lambda.stats(),
      endpoints: () => ({ ...endpoints }),
      operator: { accessKeyId: operator.accessKeyId },
      api: () =>
        gateway.routes.map(({ routeKey, authorization, authorizer, functionArn, throttling }) => ({
          routeKey,
          authorization,
          ...(authorizer ? { issuer: authorizer.issuer, audience: authorizer.audience } : {}),
          functionArn,
          throttling,
        })),
      deadLetters: () => events.deadLetters,
    });
    handle = async (request, response) => {
      if (await serveControl(controls, request, response)) return;
      if (await gateway.serve(request, response)) return;
      const text = JSON.stringify({ message: 'Not Found' });
      response.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
    };

    // The demo organization comes in through the twin's own HTTP face, as `npm start` brings it in:
    // Slack users and portal sign-ins for the people, pushed catalog-info.yaml files for the services.
    await seedDemoOrganization(url, (claims) => issuer.sign(claims));
    await bus.idle();

    const argo = new ArgoCdSimulator({
      gitops,
      health,
      webhookUrl: `${url}/webhooks/argocd`,
      token: LOCAL_DEFAULTS.argocdToken,
      timeScale: options.timeScale,
      onError: (error) => {
        log(`argocd-sim: ${(error as Error).message}`);
      },
    });
    await argo.start();
    stoppers.push(() => {
      argo.stop();
    });

    log(`twin: serving ${url}, started in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    const sessionToken = 'twin';
    return {
      kind: 'twin',
      url,
      port,
      dataDir,
      timeScale: options.timeScale,
      assembly,
      endpoints,
      operatorCredentials: { accessKeyId: operator.accessKeyId, secretAccessKey: 'twin', sessionToken },
      lambda,
      principals,
      workflows: workflows.engine,
      events,
      iam,
      issuer,
      health,
      gitops,
      github,
      chat,
      argo,
      services,
      bus,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The issuer and (first) audience of the HTTP API's JWT authorizer. */
function jwtNamesOf(resolver: StackResolver): { issuer: string; audience: string } {
  for (const [logicalId, resource] of resourcesOfType(resolver.stack, 'AWS::ApiGatewayV2::Authorizer')) {
    const configuration = (
      resolver.resolve(resource.Properties ?? {}, logicalId) as {
        JwtConfiguration?: { Issuer?: string; Audience?: string[] };
      }
    ).JwtConfiguration;
    if (configuration?.Issuer) return { issuer: configuration.Issuer, audience: configuration.Audience?.[0] ?? '' };
  }
  throw new Error(`${resolver.stack.name} has no JWT authorizer with an issuer`);
}

/** Every AWS::Lambda::Function of every stack, resolved. */
function functionSpecs(assembly: CloudAssembly, resolvers: StackResolver[]): TwinFunctionSpec[] {
  return resolvers.flatMap((resolver) => {
    const { stack } = resolver;
    const invokeConfigs = resourcesOfType(stack, 'AWS::Lambda::EventInvokeConfig').map(
      ([logicalId, resource]) =>
        resolver.resolve(resource.Properties ?? {}, logicalId) as {
          FunctionName?: string;
          MaximumRetryAttempts?: number;
          DestinationConfig?: { OnFailure?: { Destination?: string } };
        },
    );
    return resourcesOfType(stack, 'AWS::Lambda::Function').map(([logicalId, resource]): TwinFunctionSpec => {
      const properties = resource.Properties ?? {};
      const name = resolver.ref(logicalId);
      const arn = resolver.arn(logicalId);
      const variables = resolver.resolve(
        (properties['Environment'] as { Variables?: object } | undefined)?.Variables ?? {},
        `${logicalId}.Environment`,
      ) as Record<string, unknown>;
      const invokeConfig = invokeConfigs.find((config) => config.FunctionName === name || config.FunctionName === arn);
      const deadLetter = resolver.resolve(properties['DeadLetterConfig'], `${logicalId}.DeadLetterConfig`) as
        { TargetArn?: string } | undefined;
      const onFailure = invokeConfig?.DestinationConfig?.OnFailure?.Destination ?? deadLetter?.TargetArn;
      return {
        logicalId,
        stack: stack.name,
        name,
        arn,
        region: stack.region,
        assetDirectory: assetDirectoryOf(assembly, resource),
        handler: typeof properties['Handler'] === 'string' ? properties['Handler'] : 'index.handler',
        environment: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, String(value)])),
        timeoutSeconds: Number(properties['Timeout'] ?? 3),
        memoryMb: Number(properties['MemorySize'] ?? 128),
        ...(typeof properties['ReservedConcurrentExecutions'] === 'number'
          ? { reservedConcurrency: properties['ReservedConcurrentExecutions'] }
          : {}),
        roleArn: resolver.resolveString(properties['Role'], `${logicalId}.Role`),
        asyncRetries: invokeConfig?.MaximumRetryAttempts ?? 2,
        ...(onFailure ? { onFailure } : {}),
      };
    });
  });
}

/** What Lambda's runtime sets in every execution environment, plus the twin's endpoints and the role's credentials. */
function lambdaRuntimeEnvironment(
  fn: TwinFunctionSpec,
  principals: Principals,
  endpoints: Record<string, string>,
): Record<string, string> {
  const credentials = principals.register({
    roleArn: fn.roleArn,
    sessionName: fn.name,
    label: `${fn.stack}/${fn.logicalId}`,
  });
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_REGION: fn.region,
    AWS_DEFAULT_REGION: fn.region,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: fn.assetDirectory,
    _HANDLER: fn.handler,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'twin',
    AWS_SESSION_TOKEN: 'twin',
    // X-Ray segments go to a daemon address nothing listens on: UDP, so nothing waits.
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    ...endpoints,
  };
}

/** AWS_ENDPOINT_URL_<SERVICE> for every emulated service; AWS_ENDPOINT_URL catches the rest, so nothing reaches AWS. */
function endpointEnvironment(endpoints: TwinEndpoints, unemulated: RunningEndpoint): Record<string, string> {
  const variables: Record<string, string> = {
    AWS_ENDPOINT_URL: unemulated.url,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.events,
  };
  const sdkNames: Record<string, string> = {
    secretsmanager: 'SECRETS_MANAGER',
    cloudwatch: 'CLOUDWATCH',
    ecr: 'ECR',
    kms: 'KMS',
  };
  for (const [service, variable] of Object.entries(sdkNames))
    if (endpoints[service]) variables[`AWS_ENDPOINT_URL_${variable}`] = endpoints[service];
  if (endpoints['github']) variables[ENV_GITHUB_API_URL] = endpoints['github'];
  // The Slack emulation serves the Web API where Slack does: under /api/.
  if (endpoints['slack']) variables[ENV_SLACK_API_URL] = `${endpoints['slack']}/api/`;
  return variables;
}

/** The base URL variables the GitHub App's Octokit and the Slack WebClient read (functions/config.ts). */
const ENV_GITHUB_API_URL = (ENV as Record<string, string>)['githubApiUrl'] ?? 'FLIGHTPLAN_GITHUB_API_URL';
const ENV_SLACK_API_URL = (ENV as Record<string, string>)['slackApiUrl'] ?? 'FLIGHTPLAN_SLACK_API_URL';
