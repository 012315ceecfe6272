import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbProvisioningStore } from '../../functions/adapters/aws/dynamodb-provisioning-store.js';
import { DynamoDbCatalogStore } from '../../functions/adapters/aws/dynamodb-catalog-store.js';
import { awsNamesOf, transitionProvisioning, type ProvisioningRequest } from '../../functions/domain/provisioning.js';
import { recordTerraformApply, recordTerraformPullRequestClosed } from '../../functions/use-cases/provisioning.js';
import type { WaitStore, WorkflowEngine } from '../../functions/ports/index.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';
import { sqsRequest } from '../support/provisioning-requests.js';

const TABLE = 'flightplan-provisioning';
let dynamoDb: RunningDynamoDb;
let store: DynamoDbProvisioningStore;
let catalog: DynamoDbCatalogStore;

const requestFor = (id: string, name: string, environment: 'hml' | 'prod' = 'hml'): ProvisioningRequest =>
  sqsRequest({ id, name, environment, now: new Date().toISOString() });
const created = (request: ProvisioningRequest) => ({
  request,
  event: {
    at: request.createdAt,
    actor: 'alice',
    action: 'provisioning.requested',
    message: 'asked',
    toStatus: 'REQUESTED',
  },
});
const audit = { now: '2026-11-23T10:00:00.000Z', actor: 'flightplan', action: 'test', message: 'test' };

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
  await ensureTables(dynamoDb.client, [{ name: TABLE, design: TABLES.main }]);
  store = new DynamoDbProvisioningStore(dynamoDb.client, TABLE);
  catalog = new DynamoDbCatalogStore(dynamoDb.client, TABLE);
});

afterAll(async () => {
  await dynamoDb.stop();
});

describe('DynamoDbProvisioningStore on DynamoDB Local', () => {
  it('lets exactly one of many simultaneous requests claim the same resource', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) => store.create(created(requestFor(`race-${String(index)}`, 'contended')))),
    );
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'claimed')).toHaveLength(11);
    expect(await store.countClaims('orders-api', 'hml', 'us-east-1', 'sqs')).toBe(1);
    expect(await store.create(created(requestFor(`race-${String(outcomes.indexOf('created'))}`, 'contended')))).toBe(
      'exists',
    );
  });

  it('frees the claim when a request ends REJECTED, and keeps it when it COMPLETES', async () => {
    await store.create(created(requestFor('rejected-1', 'short-lived')));
    await store.update('rejected-1', (current) => transitionProvisioning(current, 'AWAITING_APPROVAL', audit));
    await store.update('rejected-1', (current) => transitionProvisioning(current, 'REJECTED', audit));
    expect(await store.create(created(requestFor('rejected-2', 'short-lived')))).toBe('created');
    expect((await store.events('rejected-1')).map((event) => event.toStatus)).toEqual([
      'REQUESTED',
      'AWAITING_APPROVAL',
      'REJECTED',
    ]);
  });

  it('finds a request by its pull request and by its merge commit once they are recorded', async () => {
    await store.create(created(requestFor('with-pr', 'pr-queue')));
    await store.update('with-pr', (current) => transitionProvisioning(current, 'AWAITING_APPROVAL', audit));
    await store.update('with-pr', (current) =>
      transitionProvisioning(current, 'PR_OPEN', audit, {
        pullRequest: { repository: 'acme/terraform-live', number: 9, url: 'u', branch: 'b', state: 'open' },
      }),
    );
    expect(await store.findByPullRequest('ACME/terraform-live', 9)).toBe('with-pr');
    expect(await store.findByMergeCommit('acme/terraform-live', 'c'.repeat(40))).toBeUndefined();
    await store.update('with-pr', (current) =>
      transitionProvisioning(current, 'APPLYING', audit, {
        pullRequest: {
          repository: 'acme/terraform-live',
          number: 9,
          url: 'u',
          branch: 'b',
          state: 'merged',
          mergeCommitSha: 'c'.repeat(40),
        },
      }),
    );
    expect(await store.findByMergeCommit('acme/terraform-live', 'c'.repeat(40))).toBe('with-pr');
  });

  it('pages newest first with a cursor and filters by environment and status', async () => {
    await store.create(created(requestFor('prod-1', 'prod-queue', 'prod')));
    const prod = await store.list({ environment: 'prod' }, { limit: 10 });
    expect(prod.items.map((item) => item.id)).toEqual(['prod-1']);
    const rejected = await store.list({ service: 'orders-api', status: 'REJECTED' }, { limit: 10 });
    expect(rejected.items.map((item) => item.id)).toEqual(['rejected-1']);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({}, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(5);
  });
});

describe('AWS name claims on DynamoDB Local', () => {
  // A table of its own: these requests would otherwise show in the listing tests above.
  const NAMES_TABLE = 'flightplan-provisioning-names';
  let names: DynamoDbProvisioningStore;
  const reject = async (id: string) => {
    await names.update(id, (current) => transitionProvisioning(current, 'AWAITING_APPROVAL', audit));
    await names.update(id, (current) => transitionProvisioning(current, 'REJECTED', audit));
  };

  beforeAll(async () => {
    await ensureTables(dynamoDb.client, [{ name: NAMES_TABLE, design: TABLES.main }]);
    names = new DynamoDbProvisioningStore(dynamoDb.client, NAMES_TABLE);
  });

  it("frees a request's AWS names when it ends REJECTED, for another service's request to take", async () => {
    const first = requestFor('names-1', 'jobs');
    await names.create(created(first));
    const sameQueue = { ...requestFor('names-2', 'other-jobs'), physicalName: first.physicalName };
    expect(await names.create(created(sameQueue))).toBe('claimed');
    await reject('names-1');
    expect(await names.create(created(sameQueue))).toBe('created');
  });

  it('ends a request stored before AWS names were claimed, though another request has claimed its name since', async () => {
    const old = requestFor('unclaimed-1', 'legacy');
    await names.create(created(old));
    // As the store wrote it before names were claimed: no flag on the request, no name items.
    const documents = DynamoDBDocumentClient.from(dynamoDb.client);
    await documents.send(
      new UpdateCommand({
        TableName: NAMES_TABLE,
        Key: { pk: 'PROVISIONING#unclaimed-1', sk: '#META' },
        UpdateExpression: 'REMOVE awsNamesClaimed',
      }),
    );
    for (const name of awsNamesOf(old))
      await documents.send(new DeleteCommand({ TableName: NAMES_TABLE, Key: { pk: `AWSNAME#${name}`, sk: '#META' } }));
    const newer = { ...requestFor('unclaimed-2', 'legacy-too'), physicalName: old.physicalName };
    expect(await names.create(created(newer))).toBe('created');

    await reject('unclaimed-1');

    expect((await names.get('unclaimed-1'))?.status).toBe('REJECTED');
    const third = { ...requestFor('unclaimed-3', 'legacy-three'), physicalName: old.physicalName };
    expect(await names.create(created(third))).toBe('claimed');
  });
});

describe('DynamoDbCatalogStore service creation on DynamoDB Local', () => {
  const service = {
    name: 'new-svc',
    repository: 'acme/new-svc',
    team: 'payments',
    tier: 'T3' as const,
    imageRepository: 'registry/new-svc',
    status: 'CREATING' as const,
    revision: 0,
  };
  const event = { at: '2026-11-23T10:00:00.000Z', actor: 'alice', action: 'service.requested', message: 'asked' };

  it('reserves a name once, even when asked for at the same moment', async () => {
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => catalog.createService({ service, event })));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
  });

  it('maps the repository only when the service becomes ACTIVE', async () => {
    expect(await catalog.findServiceByRepository('acme/new-svc')).toBeUndefined();
    await catalog.updateService('new-svc', (current) => ({
      service: { ...current, status: 'ACTIVE' },
      event: { ...event, action: 'service.registered' },
    }));
    expect((await catalog.findServiceByRepository('acme/new-svc'))?.status).toBe('ACTIVE');
    expect((await catalog.serviceEvents('new-svc')).map((entry) => entry.action)).toEqual([
      'service.requested',
      'service.registered',
    ]);
  });

  it('picks up an apply that GitHub reported while the merge was being recorded, instead of waiting for it forever', async () => {
    const sha = 'd'.repeat(40);
    await store.create(created(requestFor('merge-race', 'merge-race-queue')));
    await store.update('merge-race', (current) => transitionProvisioning(current, 'AWAITING_APPROVAL', audit));
    await store.update('merge-race', (current) =>
      transitionProvisioning(current, 'PR_OPEN', audit, {
        pullRequest: { repository: 'acme/terraform-live', number: 31, url: 'u', branch: 'b', state: 'open' },
      }),
    );
    const deps = {
      provisioning: store,
      waits: { get: () => Promise.resolve(undefined) } as unknown as WaitStore,
      workflows: {} as WorkflowEngine,
      clock: { now: () => new Date().toISOString() },
    };
    const meta = { version: 1 as const, correlationId: 'merge-race', causationId: 'merge-race' };
    const apply = {
      repository: 'acme/terraform-live',
      headSha: sha,
      conclusion: 'success',
      runUrl: 'r',
      runAttempt: 1,
      meta,
    };
    // The apply arrives after the merge handler looked for an early run and before it wrote the merge:
    // it finds no merge commit yet, and is kept as an early run that the merge handler has already missed.
    const interleaved = Object.create(store) as DynamoDbProvisioningStore;
    let applyReported = false;
    interleaved.earlyApplyRun = async (repository, headSha) => {
      const seen = await store.earlyApplyRun(repository, headSha);
      if (!applyReported) {
        applyReported = true;
        expect(await recordTerraformApply(deps, apply)).toEqual({});
      }
      return seen;
    };
    await recordTerraformPullRequestClosed(
      { ...deps, provisioning: interleaved },
      { repository: 'acme/terraform-live', number: 31, merged: true, mergeCommitSha: sha, closedBy: 'dave', meta },
    );
    const request = await store.get('merge-race');
    expect(request?.status).toBe('APPLYING');
    expect(request?.apply).toEqual({ conclusion: 'success', runUrl: 'r', headSha: sha, runAttempt: 1 });
  });
});
