import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GitRepoGitOps } from '../../functions/adapters/local/git-repo-gitops.js';
import type { GithubSimulator } from '../../functions/adapters/local/github-simulator.js';
import type { HealthSimulator } from '../../functions/adapters/local/local-adapters.js';
import type { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import type { StackResolver } from './assembly.js';
import type { Principals } from './aws-endpoint.js';
import type { IamPolicies } from './iam.js';

/**
 * The contract with `infra/twin/services/<name>.ts`: each exports
 * `start<Name>(options): Promise<{ url: string; stop(): Promise<void> }>`, and calls `authorize`
 * for every SDK call with the signing access key, the IAM action and its resources.
 */
export interface ServiceCall {
  accessKeyId: string;
  region: string;
  service: string;
  action: string;
  resources: string[];
}
export type ServiceAuthorizer = (call: ServiceCall) => Promise<string | undefined>;

interface RunningService {
  url: string;
  stop(): Promise<void>;
}

export interface TwinServices {
  /** GitHub's emulation keeps the repositories: the GitOps one Argo CD watches, and the rest. */
  github?: { simulator: GithubSimulator; gitops: GitRepoGitOps };
  /** Slack's emulation records what the bot posted. */
  slack?: { chat: RecordingChat };
  /** Service name (`secretsmanager`, `cloudwatch`, `ecr`, `kms`, `github`, `slack`) to URL. */
  endpoints: Record<string, string>;
  /** Services the twin found no module for: their calls fail at AWS_ENDPOINT_URL's catch-all. */
  missing: string[];
  stop(): Promise<void>;
}

export interface TwinServicesOptions {
  resolvers: StackResolver[];
  principals: Principals;
  iam: IamPolicies;
  health: HealthSimulator;
  chat: RecordingChat;
  dataDir: string;
  /** The App id and installation the functions' environment names. */
  githubApp: { appId: string; installationId: string };
  /** Where merges deliver their webhooks: the twin's URL, known once it listens. */
  webhooks: () => { url: string; secret: string };
  account: string;
  region: string;
  log: (line: string) => void;
}

type ServiceModule = Record<string, unknown>;

/** Loads `services/<file>.ts` if it is there; the modules are another engineer's and land separately. */
async function load(file: string): Promise<ServiceModule | undefined> {
  const url = new URL(`./services/${file}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  return (await import(url.href)) as ServiceModule;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the export's signature
const fn = <T>(module: ServiceModule | undefined, name: string): T | undefined =>
  typeof module?.[name] === 'function' ? (module[name] as T) : undefined;

/** Starts the emulations of the services beside AWS's core: Secrets Manager, CloudWatch, ECR, KMS, GitHub and Slack. */
export async function startTwinServices(options: TwinServicesOptions): Promise<TwinServices> {
  const running: RunningService[] = [];
  const endpoints: Record<string, string> = {};
  const missing: string[] = [];
  const authorize: ServiceAuthorizer = async (call) => {
    const caller = options.principals.fromAccessKey(call.accessKeyId);
    if (!caller) return `The security token included in the request is invalid (access key ${call.accessKeyId})`;
    for (const resource of call.resources.length > 0 ? call.resources : ['*']) {
      const decision = await options.iam.authorize({ roleArn: caller.roleArn, action: call.action, resource });
      if (!decision.allowed) {
        options.log(
          `iam: DENIED ${caller.label} ${call.action} on ${resource}: ${decision.explanation}; the role ${caller.roleArn.split('/').at(-1) ?? ''} is missing "${call.action}" on "${resource}"`,
        );
        const role = caller.roleArn.split('/').at(-1) ?? '';
        return `User: arn:aws:sts::${options.account}:assumed-role/${role}/${caller.sessionName} is not authorized to perform: ${call.action} on resource: ${resource} because no identity-based policy allows the ${call.action} action`;
      }
    }
    return undefined;
  };
  const onError = (service: string) => (error: unknown) => {
    options.log(`${service}: ${(error as Error).stack ?? String(error)}`);
  };
  const common = (service: string) => ({
    authorize,
    onError: onError(service),
    account: options.account,
    region: options.region,
  });
  const start = async (
    service: string,
    file: string,
    starter: string,
    extra: (module: ServiceModule) => Promise<object> | object,
  ) => {
    const module = await load(file);
    const startService = fn<(startOptions: object) => Promise<RunningService>>(module, starter);
    if (!module || !startService) {
      missing.push(service);
      options.log(`twin: no ${starter} in infra/twin/services/${file}.ts; ${service} calls are not emulated`);
      return undefined;
    }
    const service$ = await startService({ ...common(service), ...(await extra(module)) });
    running.push(service$);
    endpoints[service] = service$.url;
    return { module, service: service$ };
  };

  const home = options.resolvers.find((resolver) => resolver.stack.name === 'Flightplan') ?? options.resolvers[0];
  let githubAppPrivateKey: string | undefined;
  const secrets = await start('secretsmanager', 'secrets-manager', 'startSecretsManager', (module) => {
    const generate = fn<() => string>(module, 'generateGithubAppPrivateKey');
    const values = fn<(pem: string) => Record<string, string>>(module, 'localSecretValues');
    const fromTemplate = fn<(template: object, templateOptions: object) => object[]>(module, 'secretsFromTemplate');
    githubAppPrivateKey = generate?.();
    if (!home || !values || !fromTemplate || githubAppPrivateKey === undefined) return { secrets: [] };
    return {
      secrets: fromTemplate(
        { Resources: home.stack.resources },
        {
          values: values(githubAppPrivateKey),
          arnOf: (logicalId: string) => home.ref(logicalId),
          region: home.stack.region,
          account: home.stack.account,
        },
      ),
    };
  });
  await start('cloudwatch', 'cloudwatch', 'startCloudWatch', () => ({ health: options.health }));
  await start('ecr', 'ecr', 'startEcr', () => ({}));
  await start('kms', 'kms', 'startKms', () => ({}));
  const secretValue = (prefix: string) => () => {
    const logicalId = Object.keys(home?.stack.resources ?? {}).find(
      (id) => id.startsWith(prefix) && home?.stack.resources[id]?.Type === 'AWS::SecretsManager::Secret',
    );
    const valueOf = (secrets?.service as { valueOf?: (id: string) => string } | undefined)?.valueOf;
    return logicalId && home && valueOf ? valueOf(home.ref(logicalId)) : '';
  };
  const github = await start('github', 'github', 'startGithub', () => ({
    dataDir: join(options.dataDir, 'github'),
    appId: options.githubApp.appId,
    installationId: options.githubApp.installationId,
    appPrivateKey: () => githubAppPrivateKey ?? '',
    webhooks: options.webhooks,
  }));
  const slack = await start('slack', 'slack', 'startSlack', () => ({
    chat: options.chat,
    botToken: secretValue('SlackBotToken'),
  }));
  return {
    ...(github ? { github: github.service as unknown as NonNullable<TwinServices['github']> } : {}),
    ...(slack ? { slack: slack.service as unknown as NonNullable<TwinServices['slack']> } : {}),
    endpoints,
    missing,
    stop: async () => {
      await Promise.allSettled(running.map((service) => service.stop()));
    },
  };
}
