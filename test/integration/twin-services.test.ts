import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchHealthSource } from '../../functions/adapters/aws/cloudwatch-health-source.js';
import { EcrArtifactRegistry } from '../../functions/adapters/aws/ecr-artifact-registry.js';
import { SecretsManagerSecrets } from '../../functions/adapters/aws/secrets-manager-secrets.js';
import { DeterministicArtifactRegistry } from '../../functions/adapters/local/local-adapters.js';
import { ENV } from '../../functions/config.js';
import { ArtifactNotReadyError } from '../../functions/errors.js';
import { startCloudWatch, type RunningCloudWatch } from '../../infra/twin/services/cloudwatch.js';
import { startEcr, type RunningEcr } from '../../infra/twin/services/ecr.js';
import { generateGithubAppPrivateKey, localSecretValues, secretsFromTemplate, startSecretsManager, type RunningSecretsManager } from '../../infra/twin/services/secrets-manager.js';

const TEMPLATE = {
  Resources: {
    GithubWebhookSecret1A2B3C4D: { Type: 'AWS::SecretsManager::Secret', Properties: { Description: 'GitHub webhook secret' } },
    ArgocdToken9F8E7D6C: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    GithubAppPrivateKey5E6F7A8B: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    SlackBotToken0A1B2C3D: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    SlackSigningSecret4D5E6F70: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    Table: { Type: 'AWS::DynamoDB::GlobalTable', Properties: {} },
  },
};
const arnOf = (prefix: string) => Object.keys(TEMPLATE.Resources).find((id) => id.startsWith(prefix)) ?? prefix;

// The SDK clients reach the twin's services exactly as the bundled functions will: through
// AWS_ENDPOINT_URL_<SERVICE>, with static credentials (the twin signs nothing, it reads the scope).
const savedEnv = { ...process.env };
const githubAppPrivateKey = generateGithubAppPrivateKey();
let secretsManager: RunningSecretsManager;
let cloudWatch: RunningCloudWatch;
let ecr: RunningEcr;
const secretArn = (prefix: string) => secretsManager.list().find((secret) => secret.name.startsWith(arnOf(prefix)))?.arn ?? '';

beforeAll(async () => {
  secretsManager = await startSecretsManager({ secrets: secretsFromTemplate(TEMPLATE, { values: localSecretValues(githubAppPrivateKey) }) });
  cloudWatch = await startCloudWatch();
  ecr = await startEcr();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTWINTEST',
    AWS_SECRET_ACCESS_KEY: 'twin',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.url,
    AWS_ENDPOINT_URL_ECR: ecr.url,
    [ENV.slackBotTokenSecretArn]: secretArn('SlackBotToken'),
    [ENV.githubWebhookSecretArn]: secretArn('GithubWebhookSecret'),
    [ENV.githubAppPrivateKeySecretArn]: secretArn('GithubAppPrivateKey'),
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([secretsManager.stop(), cloudWatch.stop(), ecr.stop()]);
});

describe('twin Secrets Manager', () => {
  it('serves every secret of the template with its local value through Powertools parameters', async () => {
    const secrets = new SecretsManagerSecrets();
    expect(await secrets.get('slackBotToken')).toBe('xoxb-local');
    expect(await secrets.get('githubWebhookSecret')).toBe('local-github-secret');
    expect(await getSecret(secretArn('GithubAppPrivateKey'))).toBe(githubAppPrivateKey);
    expect(secretsManager.list().map((secret) => secret.name).sort()).toEqual(Object.keys(TEMPLATE.Resources).filter((id) => id !== 'Table').sort());
  });

  it('answers ResourceNotFoundException, as the SDK models it, for a secret it does not hold', async () => {
    const client = new SecretsManagerClient({});
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers by name as well as by ARN', async () => {
    const client = new SecretsManagerClient({});
    const name = secretsManager.list()[0]?.name ?? '';
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).ARN).toBe(secretsManager.list()[0]?.arn);
  });

  it('refuses a template secret it has no local value for, naming it', () => {
    expect(() => secretsFromTemplate({ Resources: { OtherSecretABCD: { Type: 'AWS::SecretsManager::Secret' } } }, { values: localSecretValues('pem') })).toThrow(/OtherSecretABCD/u);
  });

  it('refuses a call the twin denies, as AWS does', async () => {
    const denying = await startSecretsManager({ secrets: secretsManager.list(), authorize: (call) => `not allowed: ${call.action} on ${call.resources.join(',')}` });
    try {
      const client = new SecretsManagerClient({ endpoint: denying.url });
      await expect(client.send(new GetSecretValueCommand({ SecretId: secretArn('ArgocdToken') }))).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('secretsmanager:GetSecretValue') });
    } finally {
      await denying.stop();
    }
  });
});

describe('twin CloudWatch', () => {
  it('lets the real health source observe the simulated health of the region it asks', async () => {
    cloudWatch.health.setHealth({ service: 'orders-api', environment: 'prod', region: 'sa-east-1' }, { healthy: false, errorRate: 0.2, p99Ms: 900, requestCount: 40 });
    cloudWatch.health.setAlarm('orders-api', 'sa-east-1', 'orders-api-prod-5xx', true);
    const source = new CloudWatchHealthSource();
    expect(await source.observe({ service: 'orders-api', environment: 'prod', region: 'sa-east-1' })).toEqual({ alarmsInAlarm: ['orders-api-prod-5xx'], errorRate: 0.2, p99Ms: 900, requestCount: 40 });
    expect(await source.observe({ service: 'orders-api', environment: 'prod', region: 'us-east-1' })).toEqual({ alarmsInAlarm: [], errorRate: 0.00001, p99Ms: 42, requestCount: 25_000 });
  });

  it('records PutMetricData by region', async () => {
    await new CloudWatchClient({ region: 'sa-east-1' }).send(new PutMetricDataCommand({ Namespace: 'Flightplan', MetricData: [{ MetricName: 'DeploymentStarted', Value: 1, Unit: 'Count' }] }));
    expect(cloudWatch.metricData).toEqual([{ region: 'sa-east-1', namespace: 'Flightplan', data: [{ MetricName: 'DeploymentStarted', Value: 1, Unit: 'Count' }] }]);
  });
});

describe('twin ECR', () => {
  const imageRepository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api';

  it('resolves a tag to the digest the local runtime would deploy', async () => {
    const registry = new EcrArtifactRegistry(new ECRClient({}));
    expect(await registry.resolveDigest(imageRepository, 'v1.2.3')).toBe(await new DeterministicArtifactRegistry().resolveDigest(imageRepository, 'v1.2.3'));
  });

  it('says the image is not ready while its tag is withheld, and resolves it once pushed', async () => {
    const registry = new EcrArtifactRegistry(new ECRClient({}));
    ecr.withhold('orders-api', 'abc123');
    await expect(registry.resolveDigest(imageRepository, 'abc123')).rejects.toBeInstanceOf(ArtifactNotReadyError);
    ecr.push('orders-api', 'abc123');
    expect(await registry.resolveDigest(imageRepository, 'abc123')).toMatch(/^sha256:[0-9a-f]{64}$/u);
  });
});
