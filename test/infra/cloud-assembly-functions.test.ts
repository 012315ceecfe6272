import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argoCdAppStatusChangedSample } from '../../events/argocd-app-status-changed.js';
import { deploymentChangedSample } from '../../events/deployment-changed.js';
import { deploymentRequestedSample } from '../../events/deployment-requested.js';
import type { BusEntry } from '../../events/envelope.js';
import { provisioningRequestedSample, serviceCreationRequestedSample } from '../../events/self-service-requested.js';
import { terraformApplyCompletedSample } from '../../events/terraform-changed.js';
import { alarmStateChangedSample } from '../../events/alarm-state-changed.js';
import { catalogFileChangedSample } from '../../events/catalog-file-changed.js';
import { deploymentExecutionStoppedSample } from '../../events/execution-status-changed.js';
import { slackVoteReceivedSample } from '../../events/slack-vote-received.js';
import { TABLES, ROUTES, RULES, FUNCTIONS, type FunctionId } from '../../infra/system.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import {
  ensureCloudAssembly,
  readTemplate,
  synthesizedFunctions,
  type SynthesizedFunction,
  type Template,
} from '../support/cloud-assembly.js';
import { ACCOUNT, CLOSED_ENDPOINT, REGION, invokeBundle } from '../support/bundle-invocation.js';

/**
 * Runs every function bundle that `cdk deploy` ships, from cdk.out, with exactly the environment
 * its template gives it, and invokes it once with a representative event. The AWS SDK reaches
 * DynamoDB Local; every other AWS endpoint refuses connections, so a call there fails as a network
 * error. What must never happen is a failure of the artifact itself: a missing variable, a module
 * the bundle cannot load, or a port the function was not given.
 */

const CONFIGURATION_FAILURES = [
  /MissingConfigurationError/u,
  /Environment variable \w+ is required/u,
  /ERR_MODULE_NOT_FOUND|Cannot find (package|module)/u,
  /is not a function|Cannot read properties of undefined/u,
];

const taskInput = {
  deploymentId: 'dep-artifact-check',
  region: REGION,
  taskToken: 'token-artifact-check',
  approvalId: 'dep-artifact-check.approval',
  requestId: 'prv-artifact-check',
  service: 'artifact-check',
  status: 'APPROVED',
  kind: 'half-time',
  failure: { Error: 'HealthGateFailedError', Cause: 'artifact check' },
  policy: 'prod-deploy',
  team: 'payments',
  requestedBy: 'alice',
  channel: '#deploys-payments',
  subject: { kind: 'deployment', id: 'dep-artifact-check', summary: 'artifact check', binding: 'sha256:0' },
};

const busEvent = (entry: BusEntry) => ({
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': entry.detailType,
  source: entry.source,
  account: ACCOUNT,
  time: '2026-12-01T12:00:00Z',
  region: entry.region ?? REGION,
  resources: entry.resources ?? [],
  detail: entry.detail,
});

const httpEvent = (routeKey: string) => {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'artifact',
      domainName: 'artifact.example.com',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'artifact-check' },
      requestId: 'artifact-check',
      routeKey,
      stage: '$default',
      time: '01/Dec/2026:12:00:00 +0000',
      timeEpoch: 1_796_126_400_000,
      authorizer: { jwt: { claims: { sub: 'alice', preferred_username: 'alice' }, scopes: null } },
    },
    body: '{}',
    isBase64Encoded: false,
  };
};

const busSamples: BusEntry[] = [
  deploymentRequestedSample,
  deploymentChangedSample,
  argoCdAppStatusChangedSample,
  alarmStateChangedSample,
  provisioningRequestedSample,
  serviceCreationRequestedSample,
  terraformApplyCompletedSample,
  catalogFileChangedSample,
  deploymentExecutionStoppedSample,
  slackVoteReceivedSample,
];

/** The event a function meets first in production: a task input, its rule's event, or a request on its route. */
function representativeEvent(functionId: FunctionId): unknown {
  const route =
    ROUTES.find((candidate) => candidate.function === functionId && candidate.method === 'POST') ??
    ROUTES.find((candidate) => candidate.function === functionId);
  if (route) return httpEvent(`${route.method} ${route.path}`);
  const rule = RULES.find((candidate) => candidate.target === functionId);
  if (rule) {
    const sample = busSamples.find((entry) => {
      const pattern = rule.pattern as { source?: string[]; 'detail-type'?: string[] };
      return (
        (pattern.source ?? [entry.source]).includes(entry.source) &&
        (pattern['detail-type'] ?? [entry.detailType]).includes(entry.detailType)
      );
    });
    if (!sample) throw new Error(`No sample event matches rule ${rule.name}`);
    return busEvent(sample);
  }
  return taskInput;
}

let template: Template;
let functions: SynthesizedFunction[];
let dynamoDb: RunningDynamoDb | undefined;

beforeAll(async () => {
  await ensureCloudAssembly();
  template = readTemplate();
  const tableDesigns: Record<string, (typeof TABLES)[keyof typeof TABLES]> = {
    Table: TABLES.main,
    IdempotencyTable: TABLES.idempotency,
  };
  const tables = Object.keys(template.Resources).filter(
    (id) => template.Resources[id]?.Type === 'AWS::DynamoDB::GlobalTable',
  );
  const designOf = (logicalId: string) =>
    Object.entries(tableDesigns).find(([prefix]) => logicalId.replace(/[A-F0-9]{8}$/u, '') === prefix)?.[1];
  functions = synthesizedFunctions(template, {
    account: ACCOUNT,
    region: REGION,
    ref: (logicalId, resource) =>
      resource?.Type === 'AWS::SecretsManager::Secret'
        ? `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${logicalId}-AbCdEf`
        : logicalId,
  });
  const running = await startDynamoDb({});
  dynamoDb = running;
  await ensureTables(
    running.client,
    tables.map((logicalId) => {
      const design = designOf(logicalId);
      if (!design) throw new Error(`No table design for ${logicalId}`);
      return { name: logicalId, design };
    }),
  );
}, 600_000);

afterAll(async () => {
  await dynamoDb?.stop();
});

describe('the synthesized cloud assembly', () => {
  it('ships one bundle per declared function', () => {
    expect(functions.map((fn) => fn.functionId).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  });

  it('runs every function bundle with exactly its template environment, without a configuration failure', async () => {
    const failures: string[] = [];
    const queue = [...functions];
    const worker = async () => {
      for (let fn = queue.shift(); fn; fn = queue.shift()) {
        const { outcome, output } = await invokeBundle(fn, representativeEvent(fn.functionId as FunctionId), {
          AWS_ENDPOINT_URL_DYNAMODB: dynamoDb?.endpoint ?? CLOSED_ENDPOINT,
        });
        const evidence = `${outcome.name ?? ''} ${outcome.code ?? ''} ${outcome.message ?? ''}\n${outcome.stack ?? ''}\n${output}`;
        const failure = CONFIGURATION_FAILURES.find((pattern) => pattern.test(evidence));
        if (failure)
          failures.push(
            `${fn.functionId}: ${outcome.name ?? ''} ${outcome.message ?? ''}\n${(outcome.stack ?? output).split('\n').slice(0, 4).join('\n')}`,
          );
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures).toEqual([]);
  }, 900_000);
});
