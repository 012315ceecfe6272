import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { Octokit } from '@octokit/rest';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { WebClient } from '@slack/web-api';
import {
  ENV,
  PUBLIC_API_URLS,
  STATE_MACHINE_ARN_VARIABLES,
  freezeWindowsFrom,
  optionalEnv,
  requireEnv,
  selfServiceSettingsFrom,
} from '../../config.js';
import type { FunctionDeclaration, LambdaHandler, PortName, PortUse, PortsOf } from '../../declaration.js';
import { githubTokenScope, type GithubTokenScope } from '../../github-token-scopes.js';
import type { Dependencies, SecretName } from '../../ports/index.js';
import { DeploymentChangePublisher } from '../deployment-change-publisher.js';
import { awsHealthSource } from './aws-health-sources.js';
import { DynamoDbApprovalStore } from './dynamodb-approval-store.js';
import { DynamoDbCatalogStore } from './dynamodb-catalog-store.js';
import { DynamoDbDeploymentStore } from './dynamodb-deployment-store.js';
import { DynamoDbLockStore } from './dynamodb-lock-store.js';
import { DynamoDbWaitStore } from './dynamodb-wait-store.js';
import { DynamoDbProvisioningStore } from './dynamodb-provisioning-store.js';
import { EcrArtifactRegistry } from './ecr-artifact-registry.js';
import { EventBridgePublisher } from './eventbridge-publisher.js';
import { GitHubCodeHost } from './github-code-host.js';
import { GitHubGitOpsRepo } from './github-gitops-repo.js';
import { OctokitGithubDeployments } from './octokit-github-deployments.js';
import { PowertoolsMetrics } from './powertools-metrics.js';
import { scopedInstallationAuth, type ResolvedTokenScope } from './scoped-installation-auth.js';
import { SecretsManagerSecrets } from './secrets-manager-secrets.js';
import { SfnWorkflowEngine } from './sfn-workflow-engine.js';
import { SlackChat } from './slack-chat.js';

/** X-Ray subsegments for every AWS call (Powertools Tracer); a no-op outside Lambda. */
const tracer = new Tracer({ serviceName: 'flightplan' });

let dynamoDb: DynamoDBClient | undefined;
const dynamoDbClient = (): DynamoDBClient => (dynamoDb ??= tracer.captureAWSv3Client(new DynamoDBClient({})));
const tableName = (): string => requireEnv(ENV.tableName);
const eventBridge = () =>
  new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), requireEnv(ENV.busName));
const secretsManager = new SecretsManagerSecrets();
/** The ARN is checked when the port is built, so a missing variable fails at cold start with its name. */
const secretNamed = (name: SecretName) => {
  secretsManager.arnOf(name);
  return { value: () => secretsManager.get(name) };
};

const GITHUB_APP_JWT_SECONDS = 540;

/**
 * Signs the GitHub App JWT ourselves so the private key is read from Secrets Manager when a token
 * is needed (cached by Powertools) instead of sitting in an environment variable.
 */
async function createGithubAppJwt(
  appId: string | number,
  timeDifference = 0,
): Promise<{ jwt: string; expiresAt: string }> {
  const pem = await getSecret(requireEnv(ENV.githubAppPrivateKeySecretArn), { maxAge: 300 });
  if (typeof pem !== 'string') throw new Error('The GitHub App private key secret must be a PEM string');
  const issuedAt = Math.floor(Date.now() / 1000) + timeDifference - 30;
  const expiresAt = issuedAt + GITHUB_APP_JWT_SECONDS;
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(String(appId))
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(createPrivateKey(pem));
  return { jwt, expiresAt: new Date(expiresAt * 1000).toISOString() };
}

/** A scope's settings repositories, by the variables the port's grant sets. */
export const resolveGithubScope = ({ repositories, permissions }: GithubTokenScope): ResolvedTokenScope => ({
  permissions,
  repositories:
    repositories === 'gitops'
      ? [requireEnv(ENV.gitopsRepository)]
      : repositories === 'terraform'
        ? [requireEnv(ENV.terraformRepository)]
        : repositories,
});

/** An Octokit whose installation tokens carry only `scope` (github-token-scopes.ts). */
export const githubAppOctokit = (scope: GithubTokenScope): Octokit => {
  requireEnv(ENV.githubAppPrivateKeySecretArn);
  return new Octokit({
    baseUrl: optionalEnv(ENV.githubApiUrl, PUBLIC_API_URLS.github),
    authStrategy: scopedInstallationAuth,
    auth: {
      appId: requireEnv(ENV.githubAppId),
      installationId: requireEnv(ENV.githubAppInstallationId),
      createJwt: createGithubAppJwt,
      scope: resolveGithubScope(scope),
    },
  });
};

// WebClient joins the method name onto the base URL, so the base URL must end with a slash.
const slackApiUrl = (): string => optionalEnv(ENV.slackApiUrl, PUBLIC_API_URLS.slack).replace(/\/?$/u, '/');

/**
 * The AWS adapter behind each port, each reading only its own variables (which
 * infra/aws/port-grants.ts sets for exactly the functions that declare the port).
 */
const AWS_PORTS: { [Port in PortName]: (use: PortUse) => Dependencies[Port] } = {
  deployments: () =>
    new DeploymentChangePublisher(new DynamoDbDeploymentStore(dynamoDbClient(), tableName()), eventBridge()),
  catalog: () => new DynamoDbCatalogStore(dynamoDbClient(), tableName()),
  approvals: () => new DynamoDbApprovalStore(dynamoDbClient(), tableName()),
  locks: () => new DynamoDbLockStore(dynamoDbClient(), tableName()),
  waits: () => new DynamoDbWaitStore(dynamoDbClient(), tableName()),
  provisioning: () => new DynamoDbProvisioningStore(dynamoDbClient(), tableName()),
  idempotency: () =>
    new DynamoDBPersistenceLayer({ tableName: requireEnv(ENV.idempotencyTableName), awsSdkV3Client: dynamoDbClient() }),
  bus: eventBridge,
  // Only the state machines this function starts or signals have their ARN in its environment.
  workflows: () =>
    new SfnWorkflowEngine(
      tracer.captureAWSv3Client(new SFNClient({})),
      Object.fromEntries(
        Object.entries(STATE_MACHINE_ARN_VARIABLES).map(([name, variable]) => [
          name,
          optionalEnv(variable, '') || undefined,
        ]),
      ),
    ),
  artifacts: () => new EcrArtifactRegistry(tracer.captureAWSv3Client(new ECRClient({}))),
  health: () => awsHealthSource(),
  gitops: () =>
    new GitHubGitOpsRepo(
      githubAppOctokit(githubTokenScope('gitops', {})),
      requireEnv(ENV.gitopsRepository),
      optionalEnv(ENV.gitopsBranch, 'main'),
    ),
  githubDeployments: () => new OctokitGithubDeployments(githubAppOctokit(githubTokenScope('githubDeployments', {}))),
  codeHost: (use) => new GitHubCodeHost(githubAppOctokit(githubTokenScope('codeHost', use))),
  // The bot token is read from Secrets Manager when first needed, not at cold start.
  chat: () => {
    secretsManager.arnOf('slackBotToken');
    let client: Promise<WebClient> | undefined;
    return new SlackChat(
      () =>
        (client ??= secretsManager
          .get('slackBotToken')
          .then((token) => new WebClient(token, { slackApiUrl: slackApiUrl() }))),
      requireEnv(ENV.portalUrl),
    );
  },
  githubWebhookSecret: () => secretNamed('githubWebhookSecret'),
  argocdToken: () => secretNamed('argocdToken'),
  slackSigningSecret: () => secretNamed('slackSigningSecret'),
  selfService: () => selfServiceSettingsFrom(process.env),
  freezeWindows: () => freezeWindowsFrom(process.env),
  metrics: () => new PowertoolsMetrics(),
  clock: () => ({ now: () => new Date().toISOString() }),
};

/** The AWS adapters of exactly the declared ports, as the declaration's `use` narrows them. */
export function composeAws<P extends PortName>(ports: readonly P[], use: PortUse = {}): PortsOf<P> {
  return Object.fromEntries(ports.map((port) => [port, AWS_PORTS[port](use)])) as PortsOf<P>;
}

/**
 * The Lambda composition root of one declared function: its ports are built once per container,
 * on the first invocation, so importing a function module (as the local runtime does) creates no
 * AWS client.
 */
export function onAws<P extends PortName>(declaration: FunctionDeclaration<P>): LambdaHandler {
  let handler: LambdaHandler | undefined;
  return (event, context) => {
    handler ??= declaration.createHandler(composeAws(declaration.ports, declaration.use));
    return handler(event, context);
  };
}
