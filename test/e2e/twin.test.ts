import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestPayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { TwinRuntime } from '../../infra/twin/runtime.js';
import { portalClient, SAFETY_NET_MS, startTestTwin } from '../support/local-runtime.js';

let twin: TwinRuntime;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ twin, stop } = await startTestTwin());
});

afterAll(async () => {
  await stop();
});

const operatorCredentials = () => ({
  accessKeyId: twin.operatorCredentials.accessKeyId,
  secretAccessKey: 'twin',
  sessionToken: 'twin',
});

/** What GET /twin/functions says of each function. */
const functionStats = async () =>
  (
    (await (await fetch(`${twin.url}/twin/functions`)).json()) as {
      items: {
        logicalId: string;
        invocations: number;
        coldStarts: number;
        warmContainers: number;
        assetPath: string;
      }[];
    }
  ).items;
/** What GET /twin/functions says of the function that takes the deployment lock. */
const acquireLockStats = async () =>
  (await functionStats()).find(
    (fn) => fn.logicalId.startsWith('acquireDeploymentLock') || fn.logicalId.startsWith('deploymentAcquireLock'),
  );

describe('the twin, as an operator sees it', () => {
  it('lists the HML deployment execution and its history through the AWS SDK, and counts the invocations per function', async () => {
    const sha = '7e57000'.padEnd(40, 'b');
    const acquireLockBefore = await acquireLockStats();
    const delivery = await signedDelivery(
      'local-github-secret',
      'pull_request',
      // catalog-web (storefront): no other twin scenario deploys it, so this one sees its own execution alone.
      pullRequestPayload({
        repository: 'acme/catalog-web',
        number: 7,
        headSha: sha,
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'erin',
      }),
    );
    expect(
      (await fetch(`${twin.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body }))
        .status,
    ).toBe(202);
    const portal = portalClient(twin, await twin.issuer.sign({ sub: 'erin' }));
    const deployment = await portal.waitFor('catalog-web', 'hml', sha.slice(0, 7), undefined, 400_000);
    expect(deployment.status).toBe('SUCCEEDED');

    const endpoints = (await (await fetch(`${twin.url}/twin/endpoints`)).json()) as Record<string, string>;
    const sfn = new SFNClient({
      endpoint: endpoints['stepfunctions'] ?? '',
      region: 'us-east-1',
      credentials: operatorCredentials(),
    });
    const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:flightplan-deployment';
    // The deployment records SUCCEEDED one state before its execution ends: wait for the execution, as an operator would.
    const endedExecution = async () => {
      const deadline = Date.now() + SAFETY_NET_MS;
      for (;;) {
        const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
        const found = executions.find((item) => item.name === deployment.id);
        if ((found && found.status !== 'RUNNING') || Date.now() > deadline) return found;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const execution = await endedExecution();
    expect(execution).toMatchObject({ status: 'SUCCEEDED', stateMachineArn });
    const { events = [] } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn: execution?.executionArn ?? '' }),
    );
    expect(events[0]?.type).toBe('ExecutionStarted');
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(events.map((event) => event.stateEnteredEventDetails?.name).filter(Boolean)).toContain('Health gate');

    const acquireLock = await acquireLockStats();
    expect(acquireLock?.invocations).toBeGreaterThan(acquireLockBefore?.invocations ?? 0);
    // Warm before the deployment asked for it (provisioned concurrency), so no cold start during it.
    expect(acquireLockBefore?.coldStarts).toBeGreaterThanOrEqual(1);
    expect(acquireLock?.coldStarts).toBe(acquireLockBefore?.coldStarts);
    expect(acquireLock?.assetPath).toMatch(/asset\.[0-9a-f]{64}$/u);
  });

  it('keeps an environment warm for each of three side-by-side deployments in every link of the Argo CD sync chain', async () => {
    // What the scenarios' prewarm asks for (test/support/local-runtime.ts): the 900 s sync wait is 18 s at 50x.
    const functions = await functionStats();
    for (const id of ['awaitArgoSync', 'argocdWebhook', 'recordArgoStatus'])
      expect(functions.find((fn) => fn.logicalId.startsWith(id))?.warmContainers, id).toBeGreaterThanOrEqual(3);
  });

  it("refuses a DynamoDB write the caller's role does not grant, with AccessDeniedException naming the action", async () => {
    // The GitHub webhook's role reads the main table; it may not write it.
    const webhook = twin.lambda.specs().find((spec) => spec.logicalId.startsWith('githubWebhook'));
    const table = webhook?.environment['FLIGHTPLAN_TABLE_NAME'] ?? '';
    const credentials = twin.principals.register({
      roleArn: webhook?.roleArn ?? '',
      sessionName: webhook?.name ?? '',
      label: 'test',
    });
    const dynamoDb = new DynamoDBClient({
      endpoint: twin.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: 'twin', sessionToken: 'twin' },
    });
    const write = dynamoDb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'x' }, sk: { S: 'y' } } }));
    await expect(write).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(
        `dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/${table}`,
      ) as unknown,
    });
  });
});
