import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestPayload, signedDelivery } from '../../infra/local/github-payloads.js';
import { startTwin, type TwinRuntime } from '../../infra/twin/runtime.js';
import { portalClient, SAFETY_NET_MS, TWIN_TIME_SCALE } from '../support/local-runtime.js';

let twin: TwinRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flightplan-twin-'));
  twin = await startTwin({
    port: 0,
    dataDir,
    inMemory: true,
    timeScale: TWIN_TIME_SCALE,
    prewarm: ['awaitArgoSync', 'argocdWebhook', 'recordArgoStatus'],
  });
});

afterAll(async () => {
  await twin.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const operatorCredentials = () => ({
  accessKeyId: twin.operatorCredentials.accessKeyId,
  secretAccessKey: 'twin',
  sessionToken: 'twin',
});

describe('the twin, as an operator sees it', () => {
  it('lists the HML deployment execution and its history through the AWS SDK, and counts the invocations per function', async () => {
    const sha = '7e57000'.padEnd(40, 'b');
    const delivery = await signedDelivery(
      'local-github-secret',
      'pull_request',
      pullRequestPayload({
        repository: 'acme/orders-api',
        number: 7,
        headSha: sha,
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
      }),
    );
    expect(
      (await fetch(`${twin.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body }))
        .status,
    ).toBe(202);
    const portal = portalClient(twin, await twin.issuer.sign({ sub: 'alice' }));
    const deployment = await portal.waitFor('orders-api', 'hml', sha.slice(0, 7), undefined, 400_000);
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

    const functions = (
      (await (await fetch(`${twin.url}/twin/functions`)).json()) as {
        items: { logicalId: string; invocations: number; coldStarts: number; assetPath: string }[];
      }
    ).items;
    const acquireLock = functions.find(
      (fn) => fn.logicalId.startsWith('acquireDeploymentLock') || fn.logicalId.startsWith('deploymentAcquireLock'),
    );
    expect(acquireLock?.invocations).toBeGreaterThanOrEqual(1);
    expect(acquireLock?.coldStarts).toBe(1);
    expect(acquireLock?.assetPath).toMatch(/asset\.[0-9a-f]{64}$/u);
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
