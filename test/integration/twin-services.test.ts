import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { verify } from '@octokit/webhooks-methods';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeAws } from '../../functions/adapters/aws/compose.js';
import { githubAppOctokit } from '../../functions/adapters/aws/ports/github-app.js';
import { CODE_HOST_SCOPES, GITHUB_PORT_SCOPES } from '../../functions/github-token-scopes.js';

// The ports as a function's Lambda composition root builds them (compose.ts), from the environment alone.
const awsGitOps = () => composeAws(['gitops']).gitops;
// Service creation's scope: every repository of the installation, so one code host serves these tests.
const awsCodeHost = () => composeAws(['codeHost'], { codeHost: 'createRepositories' }).codeHost;
const awsGithubDeployments = () => composeAws(['githubDeployments']).githubDeployments;
const awsChat = () => composeAws(['chat']).chat;
import { ArgoCdSimulator } from '../../infra/local/argocd-simulator.js';
import { startGithub, type RunningGithub } from '../../infra/twin/services/github.js';
import { startSlack, type RunningSlack } from '../../infra/twin/services/slack.js';
import { CloudWatchHealthSource } from '../../functions/adapters/aws/cloudwatch-health-source.js';
import { EcrArtifactRegistry } from '../../functions/adapters/aws/ecr-artifact-registry.js';
import { SecretsManagerSecrets } from '../../functions/adapters/aws/secrets-manager-secrets.js';
import { DeterministicArtifactRegistry } from '../../functions/adapters/local/local-adapters.js';
import { ENV, LOCAL_DEFAULTS } from '../../functions/config.js';
import { ArtifactNotReadyError } from '../../functions/errors.js';
import { startCloudWatch, type RunningCloudWatch } from '../../infra/twin/services/cloudwatch.js';
import { startEcr, type RunningEcr } from '../../infra/twin/services/ecr.js';
import {
  generateGithubAppPrivateKey,
  localSecretValues,
  secretsFromTemplate,
  startSecretsManager,
  type RunningSecretsManager,
} from '../../infra/twin/services/secrets-manager.js';

const TEMPLATE = {
  Resources: {
    GithubWebhookSecret1A2B3C4D: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: { Description: 'GitHub webhook secret' },
    },
    ArgocdToken9F8E7D6C: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    GithubAppPrivateKey5E6F7A8B: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    SlackBotToken0A1B2C3D: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    SlackSigningSecret4D5E6F70: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    Table: { Type: 'AWS::DynamoDB::GlobalTable', Properties: {} },
  },
};
const arnOf = (prefix: string) => Object.keys(TEMPLATE.Resources).find((id) => id.startsWith(prefix)) ?? prefix;

/** Stands in for Flightplan's ingress: records each delivery and answers 202, as /webhooks/* do. */
class WebhookReceiver {
  url = '';
  private server: Server | undefined;
  private readonly received: { path: string; body: unknown; signatureValid: boolean }[] = [];
  private readonly waiting: {
    path: string;
    resolve: (delivery: { path: string; body: unknown; signatureValid: boolean }) => void;
  }[] = [];

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const signature = request.headers['x-hub-signature-256'];
        void (
          typeof signature === 'string'
            ? verify(LOCAL_DEFAULTS.githubWebhookSecret, text, signature)
            : Promise.resolve(false)
        ).then((signatureValid) => {
          const delivery = { path: request.url ?? '', body: JSON.parse(text) as unknown, signatureValid };
          const waiter = this.waiting.findIndex((candidate) => candidate.path === delivery.path);
          if (waiter >= 0) this.waiting.splice(waiter, 1)[0]?.resolve(delivery);
          else this.received.push(delivery);
          response.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
        });
      });
    });
    await new Promise<void>((resolveListen) =>
      this.server?.listen(0, '127.0.0.1', () => {
        resolveListen();
      }),
    );
    const address = this.server.address();
    this.url = `http://127.0.0.1:${address && typeof address === 'object' ? address.port : 0}`;
  }

  next(path: string): Promise<{ path: string; body: unknown; signatureValid: boolean }> {
    const index = this.received.findIndex((delivery) => delivery.path === path);
    if (index >= 0) return Promise.resolve(this.received.splice(index, 1)[0]!);
    return new Promise((resolveNext) => this.waiting.push({ path, resolve: resolveNext }));
  }

  stop(): Promise<void> {
    return new Promise((resolveClose) => {
      this.server?.close(() => {
        resolveClose();
      });
      this.server?.closeAllConnections();
    });
  }
}

// The SDK clients reach the twin's services exactly as the bundled functions will: through
// AWS_ENDPOINT_URL_<SERVICE>, with static credentials (the twin signs nothing, it reads the scope).
const savedEnv = { ...process.env };
const githubAppPrivateKey = generateGithubAppPrivateKey();
let secretsManager: RunningSecretsManager;
let cloudWatch: RunningCloudWatch;
let ecr: RunningEcr;
let github: RunningGithub;
let slack: RunningSlack;
let dataDir: string;
const webhooks = new WebhookReceiver();
const secretArn = (prefix: string) =>
  secretsManager.list().find((secret) => secret.name.startsWith(arnOf(prefix)))?.arn ?? '';

beforeAll(async () => {
  secretsManager = await startSecretsManager({
    secrets: secretsFromTemplate(TEMPLATE, { values: localSecretValues(githubAppPrivateKey) }),
  });
  cloudWatch = await startCloudWatch();
  ecr = await startEcr();
  dataDir = await mkdtemp(join(tmpdir(), 'twin-services-'));
  await webhooks.start();
  github = await startGithub({
    dataDir: join(dataDir, 'github'),
    appId: '123456',
    installationId: '12345678',
    appPrivateKey: () => secretsManager.valueOf(secretArn('GithubAppPrivateKey')),
    webhooks: () => ({ url: webhooks.url, secret: secretsManager.valueOf(secretArn('GithubWebhookSecret')) }),
  });
  slack = await startSlack({ botToken: () => secretsManager.valueOf(secretArn('SlackBotToken')) });
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
    [ENV.githubAppId]: '123456',
    [ENV.githubAppInstallationId]: '12345678',
    [ENV.gitopsRepository]: LOCAL_DEFAULTS.gitopsRepository,
    [ENV.terraformRepository]: 'acme/terraform-live',
    [ENV.githubApiUrl]: github.url,
    [ENV.slackApiUrl]: `${slack.url}/api`,
    [ENV.portalUrl]: 'https://flightplan.example.com',
  });
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([
    secretsManager.stop(),
    cloudWatch.stop(),
    ecr.stop(),
    github.stop(),
    slack.stop(),
    webhooks.stop(),
  ]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('twin Secrets Manager', () => {
  it('serves every secret of the template with its local value through Powertools parameters', async () => {
    const secrets = new SecretsManagerSecrets();
    expect(await secrets.get('slackBotToken')).toBe('xoxb-local');
    expect(await secrets.get('githubWebhookSecret')).toBe('local-github-secret');
    expect(await getSecret(secretArn('GithubAppPrivateKey'))).toBe(githubAppPrivateKey);
    expect(
      secretsManager
        .list()
        .map((secret) => secret.name)
        .sort(),
    ).toEqual(
      Object.keys(TEMPLATE.Resources)
        .filter((id) => id !== 'Table')
        .sort(),
    );
  });

  it('answers ResourceNotFoundException, as the SDK models it, for a secret it does not hold', async () => {
    const client = new SecretsManagerClient({});
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('answers by name as well as by ARN', async () => {
    const client = new SecretsManagerClient({});
    const name = secretsManager.list()[0]?.name ?? '';
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).ARN).toBe(secretsManager.list()[0]?.arn);
  });

  it('refuses a template secret it has no local value for, naming it', () => {
    expect(() =>
      secretsFromTemplate(
        { Resources: { OtherSecretABCD: { Type: 'AWS::SecretsManager::Secret' } } },
        { values: localSecretValues('pem') },
      ),
    ).toThrow(/OtherSecretABCD/u);
  });

  it('refuses a call the twin denies, as AWS does', async () => {
    const denying = await startSecretsManager({
      secrets: secretsManager.list(),
      authorize: (call) => `not allowed: ${call.action} on ${call.resources.join(',')}`,
    });
    try {
      const client = new SecretsManagerClient({ endpoint: denying.url });
      await expect(
        client.send(new GetSecretValueCommand({ SecretId: secretArn('ArgocdToken') })),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: expect.stringContaining('secretsmanager:GetSecretValue'),
      });
    } finally {
      await denying.stop();
    }
  });
});

describe('twin CloudWatch', () => {
  it('lets the real health source observe the simulated health of the region it asks', async () => {
    cloudWatch.health.setHealth(
      { service: 'orders-api', environment: 'prod', region: 'sa-east-1' },
      { healthy: false, errorRate: 0.2, p99Ms: 900, requestCount: 40 },
    );
    cloudWatch.health.setAlarm('orders-api', 'sa-east-1', 'orders-api-prod-5xx', true);
    const source = new CloudWatchHealthSource();
    expect(await source.observe({ service: 'orders-api', environment: 'prod', region: 'sa-east-1' })).toEqual({
      alarmsInAlarm: ['orders-api-prod-5xx'],
      errorRate: 0.2,
      p99Ms: 900,
      requestCount: 40,
    });
    expect(await source.observe({ service: 'orders-api', environment: 'prod', region: 'us-east-1' })).toEqual({
      alarmsInAlarm: [],
      errorRate: 0.00001,
      p99Ms: 42,
      requestCount: 25_000,
    });
  });

  it('records PutMetricData by region', async () => {
    await new CloudWatchClient({ region: 'sa-east-1' }).send(
      new PutMetricDataCommand({
        Namespace: 'Flightplan',
        MetricData: [{ MetricName: 'DeploymentStarted', Value: 1, Unit: 'Count' }],
      }),
    );
    expect(cloudWatch.metricData).toEqual([
      {
        region: 'sa-east-1',
        namespace: 'Flightplan',
        data: [{ MetricName: 'DeploymentStarted', Value: 1, Unit: 'Count' }],
      },
    ]);
  });
});

describe('twin ECR', () => {
  const imageRepository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api';

  it('resolves a tag to the digest the local runtime would deploy', async () => {
    const registry = new EcrArtifactRegistry(new ECRClient({}));
    expect(await registry.resolveDigest(imageRepository, 'v1.2.3')).toBe(
      await new DeterministicArtifactRegistry().resolveDigest(imageRepository, 'v1.2.3'),
    );
  });

  it('says the image is not ready while its tag is withheld, and resolves it once pushed', async () => {
    const registry = new EcrArtifactRegistry(new ECRClient({}));
    ecr.withhold('orders-api', 'abc123');
    await expect(registry.resolveDigest(imageRepository, 'abc123')).rejects.toBeInstanceOf(ArtifactNotReadyError);
    ecr.push('orders-api', 'abc123');
    expect(await registry.resolveDigest(imageRepository, 'abc123')).toMatch(/^sha256:[0-9a-f]{64}$/u);
  });
});

const git = (directory: string, ...args: string[]) =>
  execFileSync('git', args, { cwd: directory, encoding: 'utf8' }).trim();
const digest = (letter: string) => `sha256:${letter.repeat(64)}`;

describe('twin GitHub', () => {
  const target = {
    service: 'orders-api',
    environment: 'prod' as const,
    region: 'us-east-1',
    imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders-api',
  };

  it('lets the GitHub App GitOps adapter commit a digest and read it back, as a real commit on main', async () => {
    const repo = awsGitOps();
    expect(await repo.readImageDigest(target)).toBeNull();
    const first = await repo.commitImageDigest({
      ...target,
      digest: digest('a'),
      message: 'Deploy orders-api v1 to prod us-east-1',
    });
    const second = await repo.commitImageDigest({
      ...target,
      digest: digest('b'),
      message: 'Deploy orders-api v2 to prod us-east-1',
    });
    expect(await repo.readImageDigest(target)).toBe(digest('b'));
    const directory = github.directoryOf(LOCAL_DEFAULTS.gitopsRepository);
    expect(git(directory, 'rev-parse', 'main')).toBe(second.revision);
    expect(git(directory, 'rev-parse', `${second.revision}^`)).toBe(first.revision);
    expect(git(directory, 'log', '-1', '--format=%s')).toBe('Deploy orders-api v2 to prod us-east-1');
    // The working tree follows main, so the local GitOps reader (and Argo CD's view) agree.
    expect(await github.gitops.readImageDigest(target)).toBe(digest('b'));
    expect(git(directory, 'status', '--porcelain')).toBe('');
  });

  it('commits several files at once through the Git Data API (trees, commits, refs)', async () => {
    const { revision } = await awsGitOps().commitFiles(
      [
        { path: 'apps/new-svc/hml/us-east-1/application.yaml', content: 'kind: Application\n' },
        { path: 'keycloak/new-svc.yaml', content: 'clientId: new-svc\n' },
      ],
      'Add new-svc',
    );
    const directory = github.directoryOf(LOCAL_DEFAULTS.gitopsRepository);
    expect(git(directory, 'show', '--name-only', '--format=%s', revision).split('\n').filter(Boolean)).toEqual([
      'Add new-svc',
      'apps/new-svc/hml/us-east-1/application.yaml',
      'keycloak/new-svc.yaml',
    ]);
    expect(await readFile(join(directory, 'keycloak/new-svc.yaml'), 'utf8')).toBe('clientId: new-svc\n');
  });

  it('lets the local Argo CD simulator see the commits the GitHub emulation writes', async () => {
    const argo = new ArgoCdSimulator({
      gitops: github.gitops,
      health: cloudWatch.health,
      webhookUrl: `${webhooks.url}/webhooks/argocd`,
      token: 'local-argocd-token',
      timeScale: 6000,
      onError: (error) => {
        throw error;
      },
    });
    await argo.start();
    try {
      const { revision } = await awsGitOps().commitImageDigest({
        ...target,
        environment: 'hml',
        digest: digest('c'),
        message: 'Deploy orders-api to hml',
      });
      const notification = await webhooks.next('/webhooks/argocd');
      expect(notification.body).toMatchObject({
        revision,
        syncStatus: 'Synced',
        healthStatus: 'Healthy',
        app: expect.stringContaining('orders-api'),
      });
    } finally {
      argo.stop();
    }
  });

  it('lets the code host create a repository from a template once, commit to it and open one pull request per branch', async () => {
    const host = awsCodeHost();
    expect(
      await host.createRepository({
        template: 'acme/template-node-api',
        repository: 'acme/payments-api',
        description: 'Payments',
        mark: 'flightplan-payments-api',
      }),
    ).toEqual({ url: 'https://github.com/acme/payments-api', created: true });
    expect(
      await host.createRepository({
        template: 'acme/template-node-api',
        repository: 'acme/payments-api',
        description: 'Payments',
        mark: 'flightplan-payments-api',
      }),
    ).toEqual({ url: 'https://github.com/acme/payments-api', created: false });
    const { revision } = await host.commitFiles(
      'acme/payments-api',
      [{ path: 'catalog-info.yaml', content: 'kind: Component\n' }],
      'Register in Backstage',
    );
    expect(git(github.directoryOf('acme/payments-api'), 'rev-parse', 'main')).toBe(revision);
    await host.commitFiles(
      'acme/payments-api',
      [{ path: 'catalog-info.yaml', content: 'kind: Component # later\n' }],
      'Describe it again',
    );
    expect(await host.readFile('acme/payments-api', 'catalog-info.yaml', revision)).toBe('kind: Component\n');
    const later = git(github.directoryOf('acme/payments-api'), 'rev-parse', 'main');
    await host.commitFiles('acme/payments-api', [{ path: 'README.md', content: '# payments\n' }], 'Readme');
    expect(await host.lastChangeOf('acme/payments-api', 'catalog-info.yaml', revision)).toBe(revision);
    expect(await host.lastChangeOf('acme/payments-api', 'catalog-info.yaml')).toBe(later);
    expect(await host.lastChangeOf('acme/payments-api', 'no-such-file.yaml')).toBeUndefined();
    // A pushed commit GitHub does not show yet is not "never changed": the sync fails and is retried.
    await expect(host.lastChangeOf('acme/payments-api', 'catalog-info.yaml', 'f'.repeat(40))).rejects.toThrow();
    const request = {
      repository: LOCAL_DEFAULTS.githubOrganization + '/terraform-live',
      branch: 'flightplan/prq-1',
      files: [{ path: '111111111111/hml/us-east-1/sqs/orders-api/events.tf', content: 'module "q" {}\n' }],
      title: 'SQS events for orders-api',
      body: 'Requested by alice',
    };
    const opened = await host.openPullRequest(request);
    expect(opened).toEqual({ number: 1, url: 'https://github.com/acme/terraform-live/pull/1' });
    expect(await host.openPullRequest(request)).toEqual(opened);
    const { items } = github.listPullRequests({ repository: 'acme/terraform-live' });
    expect(items).toEqual([
      expect.objectContaining({
        number: 1,
        repository: 'acme/terraform-live',
        branch: 'flightplan/prq-1',
        title: 'SQS events for orders-api',
        state: 'open',
        headSha: git(github.directoryOf('acme/terraform-live'), 'rev-parse', 'flightplan/prq-1'),
      }),
    ]);
  });

  it('merges a pull request from the local controls and delivers the signed pull_request and workflow_run webhooks', async () => {
    const { pullRequest, deliveries } = await github.mergePullRequest(1, { by: 'carol' });
    expect(pullRequest).toMatchObject({ number: 1, state: 'merged', closedBy: 'carol' });
    expect(deliveries.map((delivery) => [delivery.event, delivery.status])).toEqual([
      ['pull_request', 202],
      ['workflow_run', 202],
    ]);
    const merged = await webhooks.next('/webhooks/github');
    expect(merged.signatureValid).toBe(true);
    expect(merged.body).toMatchObject({
      action: 'closed',
      pull_request: { merged: true, merge_commit_sha: pullRequest.mergeCommitSha },
    });
    expect((await webhooks.next('/webhooks/github')).body).toMatchObject({
      action: 'completed',
      workflow_run: { head_sha: pullRequest.mergeCommitSha, conclusion: 'success' },
    });
    expect(
      await readFile(
        join(github.directoryOf('acme/terraform-live'), '111111111111/hml/us-east-1/sqs/orders-api/events.tf'),
        'utf8',
      ),
    ).toBe('module "q" {}\n');
    await expect(github.mergePullRequest(1, {})).rejects.toThrow(/already merged/u);
  });

  it('opens a new pull request on a branch whose last one was closed, moving the branch (create refuses, update forces)', async () => {
    const host = awsCodeHost();
    const callsBefore = github.calls.length;
    const request = {
      repository: 'acme/terraform-live',
      branch: 'flightplan/prq-2',
      files: [{ path: 'a.tf', content: 'a\n' }],
      title: 'First try',
      body: '',
    };
    const first = await host.openPullRequest(request);
    await github.closePullRequest(first.number, { by: 'alice' });
    await webhooks.next('/webhooks/github');
    const second = await host.openPullRequest({
      ...request,
      files: [{ path: 'b.tf', content: 'b\n' }],
      title: 'Second try',
    });
    expect(second.number).toBe(first.number + 1);
    const directory = github.directoryOf('acme/terraform-live');
    expect(
      git(directory, 'show', '--name-only', '--format=%s', 'flightplan/prq-2').split('\n').filter(Boolean),
    ).toEqual(['Second try', 'b.tf']);
    expect(
      github.calls
        .slice(callsBefore)
        .filter((call) => call.path.endsWith('/git/refs') || call.path.includes('/git/refs/heads/flightplan/prq-2'))
        .map((call) => `${call.method} ${call.status}`),
    ).toEqual(['POST 201', 'POST 422', 'PATCH 200']);
  });

  it('records GitHub Deployment statuses on one deployment per ref and environment', async () => {
    const deployments = awsGithubDeployments();
    await deployments.setStatus({
      repository: 'acme/orders-api',
      ref: 'v1.4.0',
      environment: 'prod',
      state: 'in_progress',
      description: 'Deploying us-east-1',
    });
    await deployments.setStatus({
      repository: 'acme/orders-api',
      ref: 'v1.4.0',
      environment: 'prod',
      state: 'success',
      description: 'Deployed',
    });
    expect(github.deployments()).toEqual([
      expect.objectContaining({
        repository: 'acme/orders-api',
        ref: 'v1.4.0',
        environment: 'prod',
        statuses: [
          expect.objectContaining({ state: 'in_progress' }),
          expect.objectContaining({ state: 'success', description: 'Deployed' }),
        ],
      }),
    ]);
  });

  it('refuses an App JWT that the App key did not sign, and calls without an installation token', async () => {
    const impostor = new Octokit({
      baseUrl: github.url,
      authStrategy: createAppAuth,
      auth: { appId: '123456', installationId: '12345678', privateKey: generateGithubAppPrivateKey() },
    });
    await expect(
      impostor.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'gitops' }),
    ).rejects.toMatchObject({ status: 401 });
    await expect(
      new Octokit({ baseUrl: github.url }).request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'gitops' }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('refuses to start with an installation id Octokit reads as 0 (cdk.json placeholder), naming the fix', async () => {
    await expect(
      startGithub({
        dataDir: join(dataDir, 'zero'),
        appId: '123456',
        installationId: '00000000',
        appPrivateKey: 'pem',
      }),
    ).rejects.toThrow(/githubAppInstallationId/u);
  });

  it('refuses a stale write to a file, as GitHub does when the blob sha no longer matches', async () => {
    const octokit = new Octokit({
      baseUrl: github.url,
      authStrategy: createAppAuth,
      auth: {
        appId: '123456',
        installationId: '12345678',
        privateKey: secretsManager.valueOf(secretArn('GithubAppPrivateKey')),
      },
    });
    const write = (sha?: string) =>
      octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
        owner: 'acme',
        repo: 'gitops',
        path: 'README.md',
        message: 'Edit',
        content: Buffer.from('x\n').toString('base64'),
        ...(sha ? { sha } : {}),
      });
    await expect(write()).rejects.toMatchObject({ status: 422 });
    await expect(write('0'.repeat(40))).rejects.toMatchObject({ status: 409 });
  });

  it("asks for the notifier's token on the deployment's repository with deployments: write only, and that token cannot write contents", async () => {
    const tokensBefore = github.tokens.length;
    await awsGithubDeployments().setStatus({
      repository: 'acme/terraform-live',
      ref: 'main',
      environment: 'hml',
      state: 'in_progress',
      description: 'Deploying',
    });
    expect(github.tokens.slice(tokensBefore)).toEqual([
      expect.objectContaining({
        repositories: ['terraform-live'],
        permissions: { deployments: 'write', metadata: 'read' },
      }),
    ]);
    const notifier = await githubAppOctokit(GITHUB_PORT_SCOPES.githubDeployments)();
    await expect(
      notifier.request('PUT /repos/{owner}/{repo}/contents/{path}', {
        owner: 'acme',
        repo: 'terraform-live',
        path: 'backdoor.tf',
        message: 'Pushed with a notifier token',
        content: Buffer.from('resource "aws_iam_user" "backdoor" {}\n').toString('base64'),
      }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      notifier.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
        owner: 'acme',
        repo: 'terraform-live',
        ref: 'heads/main',
      }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it("asks for a wave's token on the GitOps repository with contents: write only, and that token cannot touch another repository", async () => {
    const tokensBefore = github.tokens.length;
    await awsGitOps().readImageDigest({ service: 'orders-api', environment: 'hml', region: 'us-east-1' });
    expect(github.tokens.slice(tokensBefore)).toEqual([
      expect.objectContaining({ repositories: ['gitops'], permissions: { contents: 'write', metadata: 'read' } }),
    ]);
    const wave = await githubAppOctokit(GITHUB_PORT_SCOPES.gitops)();
    await expect(
      wave.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'terraform-live' }),
    ).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      wave.request('POST /repos/{owner}/{repo}/pulls', {
        owner: 'acme',
        repo: 'gitops',
        title: 'x',
        head: 'main',
        base: 'main',
      }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it("asks for provisioning's token on the Terraform repository only, and that token cannot read the GitOps repository", async () => {
    const provisioning = await githubAppOctokit(CODE_HOST_SCOPES.terraformPullRequests)();
    const tokensBefore = github.tokens.length;
    expect(
      (await provisioning.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'terraform-live' })).status,
    ).toBe(200);
    expect(github.tokens.slice(tokensBefore)).toEqual([
      expect.objectContaining({
        repositories: ['terraform-live'],
        permissions: { contents: 'write', pull_requests: 'write', metadata: 'read' },
      }),
    ]);
    await expect(
      provisioning.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'gitops' }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe('twin Slack', () => {
  it('records what SlackChat posts, updates and posts ephemerally, in the shape GET /local/slack/messages answers', async () => {
    const chat = awsChat();
    const posted = await chat.post({
      channel: '#deploys',
      text: 'orders-api v1.4.0 is rolling back',
      urgent: true,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'rolling back' } }],
    });
    await chat.update(posted.channel, posted.ts, { text: 'orders-api v1.4.0 rolled back' });
    await chat.postEphemeral('#deploys', 'UALICE', 'You cannot approve your own release');
    const { items } = slack.messages('#deploys');
    expect(items).toEqual([
      expect.objectContaining({
        channel: '#deploys',
        ts: posted.ts,
        text: 'orders-api v1.4.0 rolled back',
        urgent: true,
        history: [
          expect.objectContaining({
            text: 'orders-api v1.4.0 is rolling back',
            blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'rolling back' } }],
          }),
        ],
      }),
      expect.objectContaining({
        channel: '#deploys',
        text: 'You cannot approve your own release',
        ephemeralTo: 'UALICE',
      }),
    ]);
  });

  it('answers message_not_found for an update of a message it never posted', async () => {
    await expect(awsChat().update('#deploys', '1.000001', { text: 'x' })).rejects.toMatchObject({
      data: { ok: false, error: 'message_not_found' },
    });
  });

  it('refuses a token that is not the bot token in Secrets Manager', async () => {
    await expect(
      new WebClient('xoxb-wrong', { slackApiUrl: `${slack.url}/api/` }).chat.postMessage({
        channel: '#deploys',
        text: 'hi',
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('answers users.info for SlackChat from the users the local control added, and lookupByEmail for those added here', async () => {
    // What the twin's POST /local/slack/users does, as npm start's does.
    slack.chat.addUser({ id: 'UALICE', name: 'alice', email: 'alice@acme.test' });
    expect(await awsChat().userProfile('UALICE')).toEqual({
      id: 'UALICE',
      name: 'alice',
      email: 'alice@acme.test',
      isBot: false,
      fromAnotherWorkspace: false,
    });
    // A Slack Connect guest: users.info names their own workspace, not the one auth.test names.
    slack.chat.addUser({ id: 'UGUEST', name: 'guest', email: 'alice@acme.test', teamId: 'TPARTNER' });
    expect(await awsChat().userProfile('UGUEST')).toMatchObject({
      email: 'alice@acme.test',
      fromAnotherWorkspace: true,
    });
    expect(await awsChat().userProfile('UNOBODY')).toBeUndefined();
    slack.addUser({ id: 'UFRANK', name: 'frank', email: 'Frank@acme.test' });
    const client = new WebClient('xoxb-local', { slackApiUrl: `${slack.url}/api/` });
    expect((await client.users.lookupByEmail({ email: 'frank@acme.test' })).user).toMatchObject({
      id: 'UFRANK',
      profile: { email: 'Frank@acme.test' },
    });
    await expect(client.users.lookupByEmail({ email: 'nobody@acme.test' })).rejects.toMatchObject({
      data: { error: 'users_not_found' },
    });
  });
});

describe('twin services seen from a bundled function', () => {
  const REPOSITORY_ROOT = join(import.meta.dirname, '..', '..');
  // What a function's bundle does with its adapters, built as the CDK's NodejsFunction builds it
  // (ESM, minified, the AWS SDK inside), and run in its own process with only its environment.
  const ENTRY = `
    import { composeAws } from '${join(REPOSITORY_ROOT, 'functions/adapters/aws/compose.js')}';
    const { artifacts, chat, gitops, health: healthSource } = composeAws(['artifacts', 'chat', 'gitops', 'health']);
    const target = { service: 'catalog-web', environment: 'hml', region: 'us-east-1' };
    const { revision } = await gitops.commitImageDigest({ ...target, imageRepository: 'r/catalog-web', digest: 'sha256:${'e'.repeat(64)}', message: 'From the bundle' });
    const digest = await gitops.readImageDigest(target);
    const posted = await chat.post({ channel: '#bundle', text: 'from the bundle' });
    const health = await healthSource.observe(target);
    const notReady = await artifacts.resolveDigest('123456789012.dkr.ecr.us-east-1.amazonaws.com/catalog-web', 'unpushed').catch((error) => ({ name: error.name, message: error.message }));
    console.log(JSON.stringify({ revision, digest, posted, health, notReady }));
  `;

  it('serves the adapters of a minified ESM bundle, in another process, through the function environment alone', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'twin-services-bundle-'));
    try {
      await writeFile(join(directory, 'entry.ts'), ENTRY);
      await build({
        entryPoints: [join(directory, 'entry.ts')],
        outfile: join(directory, 'index.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        minify: true,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
        logLevel: 'silent',
      });
      ecr.withhold('catalog-web', 'unpushed');
      // Only what the twin gives a worker: its template variables, the endpoints and static credentials.
      const endpoints = [
        'AWS_ENDPOINT_URL_SECRETS_MANAGER',
        'AWS_ENDPOINT_URL_CLOUDWATCH',
        'AWS_ENDPOINT_URL_ECR',
        ENV.githubApiUrl,
        ENV.slackApiUrl,
      ];
      const { stdout } = await promisify(execFile)(process.execPath, [join(directory, 'index.mjs')], {
        env: {
          PATH: process.env['PATH'],
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'deployWave',
          AWS_SECRET_ACCESS_KEY: 'twin',
          ...Object.fromEntries(endpoints.map((name) => [name, process.env[name]])),
          [ENV.githubAppId]: '123456',
          [ENV.githubAppInstallationId]: '12345678',
          [ENV.gitopsRepository]: 'acme/gitops',
          [ENV.githubAppPrivateKeySecretArn]: secretArn('GithubAppPrivateKey'),
          [ENV.slackBotTokenSecretArn]: secretArn('SlackBotToken'),
          [ENV.portalUrl]: 'https://flightplan.example.com',
        },
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
      expect(result).toMatchObject({
        digest: `sha256:${'e'.repeat(64)}`,
        posted: { channel: '#bundle' },
        health: { alarmsInAlarm: [], errorRate: 0.00001 },
        notReady: { name: 'ArtifactNotReadyError', message: expect.stringContaining('is not in ECR yet') },
      });
      expect(git(github.directoryOf('acme/gitops'), 'rev-parse', 'main')).toBe(result.revision);
      expect(slack.messages('#bundle').items.map((message) => message.text)).toEqual(['from the bundle']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
