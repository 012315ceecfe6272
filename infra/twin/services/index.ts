import { join } from 'node:path';
import { z } from 'zod';
import { ENV, LOCAL_DEFAULTS } from '../../../functions/config.js';
import { environmentSchema } from '../../../functions/domain/catalog.js';
import { json, parseJson, type HttpEvent, type HttpResult } from '../../../functions/http/http-handler.js';
import { problemFor, problemResponse } from '../../../functions/http/problem.js';
import type { EventPublisher } from '../../../functions/ports/index.js';
import { ArgoCdSimulator } from '../../local/argocd-simulator.js';
import type { LocalRoute } from '../../local/http-server.js';
import type { AwsCallAuthorizer } from './aws-json-rpc.js';
import { startCloudWatch, type RunningCloudWatch } from './cloudwatch.js';
import { startEcr, type RunningEcr } from './ecr.js';
import { startGithub, type RunningGithub } from './github.js';
import { generateGithubAppPrivateKey, localSecretValues, secretsFromTemplate, startSecretsManager, type RunningSecretsManager } from './secrets-manager.js';
import { startSlack, type RunningSlack } from './slack.js';

export type { AwsCall, AwsCallAuthorizer } from './aws-json-rpc.js';
export { startCloudWatch } from './cloudwatch.js';
export { startEcr } from './ecr.js';
export { startGithub } from './github.js';
export { generateGithubAppPrivateKey, localSecretArn, localSecretValues, secretsFromTemplate, startSecretsManager } from './secrets-manager.js';
export { startSlack } from './slack.js';

interface TemplateLike {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
}

export interface TwinServicesOptions {
  /** The synthesized control-plane template (cdk.out/Flightplan.template.json). */
  template: TemplateLike;
  dataDir: string;
  region: string;
  account: string;
  /** Where Flightplan's HTTP API listens: webhooks from GitHub and Argo CD go there. Read at delivery. */
  flightplanUrl: () => string;
  timeScale: number;
  /** Where `POST /local/sim/alarm` publishes the alarm's state change (the twin's bus). */
  alarmEvents?: EventPublisher;
  /** The IAM check of every AWS call (Secrets Manager, CloudWatch, ECR). */
  authorize?: AwsCallAuthorizer;
  /** Starts the Argo CD simulator on the GitOps repository; on unless false. */
  argoCd?: boolean;
  /** The ARN each secret's `Ref` resolves to; localSecretArn when absent. */
  secretArnOf?: (logicalId: string) => string;
  onError?: (error: unknown) => void;
}

export interface TwinServices {
  secretsManager: RunningSecretsManager;
  cloudWatch: RunningCloudWatch;
  ecr: RunningEcr;
  github: RunningGithub;
  slack: RunningSlack;
  argoCd: ArgoCdSimulator | undefined;
  /** What each function's worker gets on top of its template environment. */
  functionEnvironment(): Record<string, string>;
  /** For `GET /twin/endpoints`. */
  endpoints(): Record<string, string>;
  /** `GET /local/slack/messages`, `/local/github/*` and `/local/sim/*`, as `npm start` serves them. */
  controlRoutes(): LocalRoute[];
  stop(): Promise<void>;
}

/** A literal variable of the template's functions (CDK context values are literals), or its local default. */
function templateVariable(template: TemplateLike, name: string, fallback: string): string {
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    const value = variables?.[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return fallback;
}

/**
 * Every endpoint the functions' AWS adapters call besides DynamoDB, Step Functions and
 * EventBridge, started and wired to each other the way AWS and SaaS are: the secrets seeded from
 * the template, GitHub verifying App JWTs with the key in Secrets Manager, Slack checking the
 * bot token in Secrets Manager, CloudWatch and Argo CD reading one HealthSimulator.
 */
export async function startTwinServices(options: TwinServicesOptions): Promise<TwinServices> {
  const started: { stop(): Promise<void> | void }[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.stop();
  };
  try {
    const where = { region: options.region, account: options.account };
    const common = { ...(options.authorize ? { authorize: options.authorize } : {}), ...(options.onError ? { onError: options.onError } : {}) };
    const secretsManager = await startSecretsManager({
      secrets: secretsFromTemplate(options.template, { values: localSecretValues(generateGithubAppPrivateKey()), ...where, ...(options.secretArnOf ? { arnOf: options.secretArnOf } : {}) }),
      ...common,
    });
    started.push(secretsManager);
    const secret = (prefix: string): string => {
      const held = secretsManager.list().find((candidate) => (candidate.arn.split(':secret:')[1] ?? '').startsWith(prefix) || candidate.name.startsWith(prefix));
      if (!held) throw new Error(`The template declares no ${prefix} secret`);
      return held.value;
    };
    const cloudWatch = await startCloudWatch({ account: options.account, ...common });
    started.push(cloudWatch);
    const ecr = await startEcr({ account: options.account, ...common });
    started.push(ecr);
    const gitopsRepository = templateVariable(options.template, ENV.gitopsRepository, LOCAL_DEFAULTS.gitopsRepository);
    const installationId = templateVariable(options.template, ENV.githubAppInstallationId, '1');
    // @octokit/auth-app reads the id as a number and refuses 0: every GitHub call would fail in the functions.
    if (!Number(installationId)) throw new Error(`${ENV.githubAppInstallationId} is "${installationId}" in the template; synthesize with -c flightplan:githubAppInstallationId=<a non-zero id>`);
    const github = await startGithub({
      dataDir: join(options.dataDir, 'github'),
      appId: templateVariable(options.template, ENV.githubAppId, '1'),
      installationId,
      gitopsRepository,
      appPrivateKey: () => secret('GithubAppPrivateKey'),
      webhooks: () => ({ url: options.flightplanUrl(), secret: secret('GithubWebhookSecret') }),
      ...(options.onError ? { onError: options.onError } : {}),
    });
    started.push(github);
    const slack = await startSlack({ botToken: () => secret('SlackBotToken'), ...(options.onError ? { onError: options.onError } : {}) });
    started.push(slack);
    let argoCd: ArgoCdSimulator | undefined;
    if (options.argoCd !== false) {
      argoCd = new ArgoCdSimulator({
        gitops: github.gitops,
        health: cloudWatch.health,
        webhookUrl: `${options.flightplanUrl()}/webhooks/argocd`,
        token: secret('ArgocdToken'),
        timeScale: options.timeScale,
        onError: options.onError ?? (() => undefined),
      });
      await argoCd.start();
      const running = argoCd;
      started.push({ stop: () => { running.stop(); } });
    }
    const endpoints = () => ({ secretsmanager: secretsManager.url, cloudwatch: cloudWatch.url, ecr: ecr.url, github: github.url, slack: slack.url });
    return {
      secretsManager,
      cloudWatch,
      ecr,
      github,
      slack,
      argoCd,
      functionEnvironment: () => ({
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
        AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.url,
        AWS_ENDPOINT_URL_ECR: ecr.url,
        [ENV.githubApiUrl]: github.url,
        [ENV.slackApiUrl]: `${slack.url}/api/`,
      }),
      endpoints,
      controlRoutes: () => controlRoutes({ github, slack, cloudWatch, ...(options.alarmEvents ? { alarmEvents: options.alarmEvents } : {}), account: options.account }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const simHealthSchema = z.object({
  service: z.string().min(1),
  environment: environmentSchema,
  region: z.string().min(1),
  healthy: z.boolean(),
  errorRate: z.number().min(0).max(1).optional(),
  p99Ms: z.number().min(0).optional(),
  requestCount: z.number().int().min(0).optional(),
});
const simAlarmSchema = z.object({
  service: z.string().min(1),
  region: z.string().min(1),
  state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  alarmName: z.string().min(1).optional(),
});

const control = (method: string, path: string, handle: (event: HttpEvent) => Promise<HttpResult> | HttpResult): LocalRoute => ({
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

const bodyOf = (event: HttpEvent): unknown => parseJson(event.body || '{}');
const numberOf = (event: HttpEvent): number => z.coerce.number().int().positive().parse(event.pathParameters?.['number']);

/** The local controls of `npm start` (infra/local/runtime.ts), answered from the twin's services. */
function controlRoutes(services: { github: RunningGithub; slack: RunningSlack; cloudWatch: RunningCloudWatch; alarmEvents?: EventPublisher; account: string }): LocalRoute[] {
  const { github, slack, cloudWatch } = services;
  return [
    control('GET', '/local/slack/messages', (event) => json(200, slack.messages(event.queryStringParameters?.['channel']))),
    control('GET', '/local/github/pull-requests', (event) => json(200, github.listPullRequests(event.queryStringParameters ?? {}))),
    control('POST', '/local/github/pull-requests/{number}/merge', async (event) => json(200, await github.mergePullRequest(numberOf(event), bodyOf(event)))),
    control('POST', '/local/github/pull-requests/{number}/close', async (event) => json(200, await github.closePullRequest(numberOf(event), bodyOf(event)))),
    control('POST', '/local/sim/health', (event) => {
      const request = simHealthSchema.parse(bodyOf(event));
      cloudWatch.health.setHealth(request, {
        healthy: request.healthy,
        ...(request.errorRate === undefined ? {} : { errorRate: request.errorRate }),
        ...(request.p99Ms === undefined ? {} : { p99Ms: request.p99Ms }),
        ...(request.requestCount === undefined ? {} : { requestCount: request.requestCount }),
      });
      return json(200, { ...request, status: 'set' });
    }),
    control('POST', '/local/sim/alarm', async (event) => {
      const request = simAlarmSchema.parse(bodyOf(event));
      const alarmName = request.alarmName ?? `${request.service}-${request.region}-simulated`;
      cloudWatch.health.setAlarm(request.service, request.region, alarmName, request.state === 'ALARM');
      // What CloudWatch emits in the region and the forwarding stack carries to the home bus.
      await services.alarmEvents?.publish([
        {
          source: 'aws.cloudwatch',
          detailType: 'CloudWatch Alarm State Change',
          resources: [`arn:aws:cloudwatch:${request.region}:${services.account}:alarm:${alarmName}`],
          region: request.region,
          detail: {
            alarmName,
            state: { value: request.state, reason: 'Set by POST /local/sim/alarm', timestamp: new Date().toISOString() },
            configuration: { description: `Simulated alarm for ${request.service}` },
          },
        },
      ]);
      return json(200, { service: request.service, region: request.region, alarmName, state: request.state });
    }),
  ];
}
