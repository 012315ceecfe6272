import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ECRClient } from '@aws-sdk/client-ecr';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ENV, PUBLIC_API_URLS, STATE_MACHINE_ARN_VARIABLES, freezeWindowsFrom, optionalEnv, requireEnv, selfServiceSettingsFrom } from '../../config.js';
import type { Clock } from '../../ports/index.js';
import { CloudWatchHealthSource } from './cloudwatch-health-source.js';
import { DynamoDbApprovalStore, DynamoDbCatalogStore, DynamoDbDeploymentStore, DynamoDbLockStore, DynamoDbWaitStore } from './dynamodb-store.js';
import { DynamoDbProvisioningStore } from './dynamodb-provisioning-store.js';
import { EcrArtifactRegistry } from './ecr-artifact-registry.js';
import { GitHubCodeHost } from './github-code-host.js';
import { EventBridgePublisher } from './eventbridge-publisher.js';
import { GitHubGitOpsRepo } from './github-gitops-repo.js';
import { SecretsManagerSecrets } from './secrets-manager-secrets.js';
import { SfnWorkflowEngine } from './sfn-workflow-engine.js';
import { SlackChat } from './slack-chat.js';
import { PowertoolsMetrics } from './powertools-metrics.js';
import { OctokitGithubDeployments } from './octokit-github-deployments.js';
import { PublishingDeploymentStore } from '../../use-cases/publishing-deployment-store.js';
import { WebClient } from '@slack/web-api';

/**
 * AWS adapters, one factory per port, each reading its own variables. A function calls only the
 * factories it needs, so its bundle carries only those SDK clients.
 */
/** X-Ray subsegments for every AWS call (Powertools Tracer); a no-op outside Lambda. */
const tracer = new Tracer({ serviceName: 'flightplan' });

let dynamoDb: DynamoDBClient | undefined;
const dynamoDbClient = (): DynamoDBClient => (dynamoDb ??= tracer.captureAWSv3Client(new DynamoDBClient({})));
const tableName = (): string => requireEnv(ENV.tableName);

/** Every stored change is also published, for the notifier; see PublishingDeploymentStore. */
export const awsDeploymentStore = () => new PublishingDeploymentStore(new DynamoDbDeploymentStore(dynamoDbClient(), tableName()), awsBus());
export const awsCatalogStore = () => new DynamoDbCatalogStore(dynamoDbClient(), tableName());
export const awsApprovalStore = () => new DynamoDbApprovalStore(dynamoDbClient(), tableName());
export const awsLockStore = () => new DynamoDbLockStore(dynamoDbClient(), tableName());
export const awsWaitStore = () => new DynamoDbWaitStore(dynamoDbClient(), tableName());
export const awsIdempotencyStore = () =>
  new DynamoDBPersistenceLayer({ tableName: requireEnv(ENV.idempotencyTableName), awsSdkV3Client: dynamoDbClient() });
export const awsBus = () => new EventBridgePublisher(tracer.captureAWSv3Client(new EventBridgeClient({})), requireEnv(ENV.busName));
export const awsProvisioningStore = () => new DynamoDbProvisioningStore(dynamoDbClient(), tableName());
export const awsSelfService = () => selfServiceSettingsFrom(process.env);
/** Only the state machines this function starts or signals have their ARN in its environment. */
export const awsWorkflows = () =>
  new SfnWorkflowEngine(tracer.captureAWSv3Client(new SFNClient({})), {
    ...Object.fromEntries(Object.entries(STATE_MACHINE_ARN_VARIABLES).map(([name, variable]) => [name, optionalEnv(variable, '') || undefined])),
  });
export const awsArtifacts = () => new EcrArtifactRegistry(tracer.captureAWSv3Client(new ECRClient({})));
export const awsHealth = () => new CloudWatchHealthSource();
export const awsSecrets = () => new SecretsManagerSecrets();
export const awsFreezeWindows = () => freezeWindowsFrom(process.env);
export const awsMetrics = () => new PowertoolsMetrics();
export const awsClock: Clock = { now: () => new Date().toISOString() };

const GITHUB_APP_JWT_SECONDS = 540;

/**
 * Signs the GitHub App JWT ourselves so the private key is read from Secrets Manager when a token
 * is needed (cached by Powertools) instead of sitting in an environment variable.
 */
async function createGithubAppJwt(appId: string | number, timeDifference = 0): Promise<{ jwt: string; expiresAt: string }> {
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

const githubAppOctokit = () =>
  new Octokit({
    baseUrl: optionalEnv(ENV.githubApiUrl, PUBLIC_API_URLS.github),
    authStrategy: createAppAuth,
    auth: {
      appId: requireEnv(ENV.githubAppId),
      installationId: requireEnv(ENV.githubAppInstallationId),
      createJwt: createGithubAppJwt,
    },
  });

export const awsGitOps = () => new GitHubGitOpsRepo(githubAppOctokit(), requireEnv(ENV.gitopsRepository), optionalEnv(ENV.gitopsBranch, 'main'));
export const awsGithubDeployments = () => new OctokitGithubDeployments(githubAppOctokit());
export const awsCodeHost = () => new GitHubCodeHost(githubAppOctokit());

// WebClient joins the method name onto the base URL, so the base URL must end with a slash.
const slackApiUrl = (): string => optionalEnv(ENV.slackApiUrl, PUBLIC_API_URLS.slack).replace(/\/?$/u, '/');

/** The bot token is read from Secrets Manager when first needed, not at cold start. */
export const awsChat = () => {
  let client: Promise<WebClient> | undefined;
  const secrets = awsSecrets();
  return new SlackChat(() => (client ??= secrets.get('slackBotToken').then((token) => new WebClient(token, { slackApiUrl: slackApiUrl() }))));
};
