import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from '@cdktf/hcl-tools';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openApiDocument } from '../../functions/http/openapi.js';
import { pullRequestPayload, signedDelivery, workflowRunPayload } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { SAFETY_NET_MS, startTestRuntime } from '../support/local-runtime.js';

interface ProvisioningView {
  id: string;
  status: string;
  path: string;
  secretPath: string;
  failureReason: string | null;
  outputs: Record<string, string> | null;
  pullRequest: { number: number; url: string; state: string; mergeCommitSha?: string } | null;
  approval: { id: string; status: string; policy: string; votes: { voter: string }[] } | null;
  events: { action: string; actor: string; toStatus?: string }[];
}

let runtime: LocalRuntime;
let stop: () => Promise<void>;
const tokens: Record<string, string> = {};

async function call(login: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[login] ?? ''}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function waitForRequest(
  id: string,
  until: (request: ProvisioningView) => boolean,
  timeoutMs = SAFETY_NET_MS,
): Promise<ProvisioningView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call('alice', 'GET', `/v1/provisioning-requests/${id}`);
    const request = body as unknown as ProvisioningView;
    if (until(request)) return request;
    if (Date.now() > deadline)
      throw new Error(`Provisioning request ${id} did not reach the expected state: ${JSON.stringify(request)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const vote = (login: string, approvalId: string, decision: 'APPROVE' | 'REJECT') =>
  call(login, 'POST', `/v1/approvals/${approvalId}/votes`, { decision });

const control = async (path: string, body: unknown = {}) => {
  const response = await fetch(`${runtime.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as { deliveries?: { event: string; status: number; body: { status: string } }[] },
  };
};

async function request(login: string, body: Record<string, unknown>, idempotencyKey?: string) {
  return call(
    login,
    'POST',
    '/v1/provisioning-requests',
    body,
    idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
  );
}

const sqs = (name: string, environment = 'hml') => ({
  service: 'orders-api',
  environment,
  region: 'us-east-1',
  type: 'sqs',
  name,
  reason: 'order events for the ledger',
});

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  for (const login of ['alice', 'bob', 'carol', 'erin']) tokens[login] = await runtime.issuer.sign({ sub: login });
});

afterAll(async () => {
  await stop();
});

describe('provisioning over HTTP', () => {
  it('goes from request to approval, pull request, merge and apply to COMPLETED with outputs (PROD, 2 approvers incl. platform-team)', async () => {
    const accepted = await request('alice', {
      service: 'orders-api',
      environment: 'prod',
      region: 'us-east-1',
      type: 'rds',
      name: 'ledger',
      spec: { engine: 'postgres', instanceClass: 'db.r6g.large', storageGb: 100, multiAz: true },
      reason: 'a ledger needs a relational store',
    });
    expect(accepted.status).toBe(202);
    const id = String(accepted.body['id']);
    expect(accepted.headers.get('location')).toBe(`/v1/provisioning-requests/${id}`);

    const waiting = await waitForRequest(
      id,
      (candidate) => candidate.status === 'AWAITING_APPROVAL' && candidate.approval !== null,
    );
    const approvalId = waiting.approval?.id ?? '';
    expect(waiting.approval?.policy).toBe('prod-resource');
    expect((await vote('alice', approvalId, 'APPROVE')).status).toBe(403);
    expect((await vote('bob', approvalId, 'APPROVE')).status).toBe(200);
    // Two approvals from payments alone are not enough: platform-team must be one of them.
    expect((await waitForRequest(id, (candidate) => candidate.approval?.votes.length === 1)).status).toBe(
      'AWAITING_APPROVAL',
    );
    expect((await vote('carol', approvalId, 'APPROVE')).status).toBe(200);

    const open = await waitForRequest(id, (candidate) => candidate.status === 'PR_OPEN');
    expect(open.path).toBe('222222222222/prod/us-east-1/rds/orders-api/ledger.tf');
    const pullRequests = runtime.github.listPullRequests({ repository: 'acme/terraform-live' });
    const pullRequest = pullRequests.find((candidate) => candidate.number === open.pullRequest?.number);
    expect(pullRequest?.body).toContain('@alice');
    expect(pullRequest?.body).toContain('a ledger needs a relational store');
    expect(pullRequest?.body).toMatch(/@bob[\s\S]*@carol/u);

    const terraform = execFileSync('git', ['show', `${pullRequest?.branch ?? ''}:${open.path}`], {
      cwd: runtime.github.directoryOf('acme/terraform-live'),
      encoding: 'utf8',
    });
    expect(terraform).toContain('instance_class        = "db.r6g.large"');
    expect(await format(terraform)).toBe(terraform);

    const merged = await control(`/local/github/pull-requests/${String(open.pullRequest?.number)}/merge`, {
      by: 'dave',
    });
    expect(merged.status).toBe(200);
    expect(merged.body.deliveries?.map((delivery) => [delivery.event, delivery.status, delivery.body.status])).toEqual([
      ['pull_request', 202, 'accepted'],
      ['workflow_run', 202, 'accepted'],
    ]);

    const completed = await waitForRequest(id, (candidate) => candidate.status === 'COMPLETED');
    expect(completed.secretPath).toBe('helpdev/prod/us-east-1/payments/orders-api/rds');
    expect(completed.outputs).toMatchObject({
      instanceIdentifier: 'orders-api-ledger',
      secretPath: completed.secretPath,
    });
    expect(completed.events.map((event) => event.toStatus).filter(Boolean)).toEqual([
      'REQUESTED',
      'AWAITING_APPROVAL',
      'PR_OPEN',
      'APPLYING',
      'COMPLETED',
    ]);
    expect(readFileSync(join(runtime.github.directoryOf('acme/terraform-live'), open.path), 'utf8')).toBe(terraform);
    // The team hears of it right after the request is COMPLETED.
    await vi.waitFor(
      () => {
        expect(
          runtime.chat.messages.some(
            (message) =>
              message.channel === '#deploys-payments' &&
              message.text.includes('orders-api-ledger for orders-api is ready'),
          ),
        ).toBe(true);
      },
      { timeout: SAFETY_NET_MS, interval: 25 },
    );
  });

  it('ends REJECTED when an approver rejects, and frees the name for a new request', async () => {
    const accepted = await request('alice', sqs('refunds'));
    const id = String(accepted.body['id']);
    const waiting = await waitForRequest(id, (candidate) => candidate.approval !== null);
    expect(waiting.approval?.policy).toBe('hml-resource');
    await vote('bob', waiting.approval?.id ?? '', 'REJECT');
    const rejected = await waitForRequest(id, (candidate) => candidate.status === 'REJECTED');
    expect(rejected.failureReason).toContain('rejected by bob');
    expect(rejected.pullRequest).toBeNull();
    expect((await request('alice', sqs('refunds'))).status).toBe(202);
  });

  it("refuses a resource whose AWS name is another service's: storefront's orders + api-jobs is payments' orders-api + jobs queue", async () => {
    const registered = await call('carol', 'PUT', '/v1/services/orders', {
      repository: 'acme/orders',
      team: 'storefront',
      tier: 'T3',
      imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/orders',
    });
    expect(registered.status).toBe(200);
    expect((await request('alice', sqs('jobs'))).status).toBe(202);
    // SQS hands back the existing queue on a create: applied, this would adopt payments' queue.
    const taken = await request('erin', { ...sqs('api-jobs'), service: 'orders' });
    expect(taken.status).toBe(409);
    expect(taken.body['type']).toBe('https://flightplan.dev/problems/conflict');
    expect(String(taken.body['detail'])).toContain('orders-api-jobs');
    // The dead-letter queue of orders-api's jobs is orders-api-jobs-dlq: claimed too.
    expect((await request('erin', { ...sqs('api-jobs-dlq'), service: 'orders' })).status).toBe(409);
    const listed = (await call('erin', 'GET', '/v1/provisioning-requests?service=orders')).body['items'] as unknown[];
    expect(listed).toEqual([]);
  });

  it('refuses an invalid request with every problem listed and stores nothing', async () => {
    const before = (await call('alice', 'GET', '/v1/provisioning-requests?limit=100')).body['items'] as unknown[];
    const invalid = await request('alice', {
      service: 'orders-api',
      environment: 'staging',
      region: 'eu-west-1',
      type: 'rds',
      name: 'X',
      spec: { instanceClass: 'db.x1.huge', encryption: false },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body['type']).toBe('https://flightplan.dev/problems/validation');
    const paths = (invalid.body['errors'] as { path: string }[]).map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining(['environment', 'region', 'name', 'spec.instanceClass', 'spec.encryption']),
    );

    const againstPolicy = await request('erin', {
      service: 'catalog-web',
      environment: 'hml',
      region: 'us-east-1',
      type: 'rds',
      name: 'catalog-web-db',
      spec: { instanceClass: 'db.r6g.large' },
    });
    expect(againstPolicy.status).toBe(400);
    expect((againstPolicy.body['errors'] as { path: string }[]).map((problem) => problem.path)).toEqual([
      'name',
      'spec.instanceClass',
    ]);

    expect((await request('erin', sqs('not-mine'))).status).toBe(403);
    const after = (await call('alice', 'GET', '/v1/provisioning-requests?limit=100')).body['items'] as unknown[];
    expect(after).toHaveLength(before.length);
  });

  it('returns the first result for a repeated Idempotency-Key, and 409 when the key is reused for another request', async () => {
    const first = await request('alice', sqs('invoices'), 'key-invoices-1');
    const again = await request('alice', sqs('invoices'), 'key-invoices-1');
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await request('alice', sqs('other-queue'), 'key-invoices-1')).status).toBe(409);
    // Without the key, the same resource again is a conflict: it is already being provisioned.
    expect((await request('alice', sqs('invoices'))).status).toBe(409);
    const listed = (await call('alice', 'GET', '/v1/provisioning-requests?service=orders-api&limit=100')).body[
      'items'
    ] as { name: string }[];
    expect(listed.filter((item) => item.name === 'invoices')).toHaveLength(1);
  });

  it('ends FAILED with the reason when the pull request is closed unmerged or the apply fails', async () => {
    const approveAndOpen = async (name: string) => {
      const id = String((await request('alice', sqs(name))).body['id']);
      const waiting = await waitForRequest(id, (candidate) => candidate.approval !== null);
      await vote('bob', waiting.approval?.id ?? '', 'APPROVE');
      return waitForRequest(id, (candidate) => candidate.status === 'PR_OPEN');
    };
    const closed = await approveAndOpen('closed-queue');
    await control(`/local/github/pull-requests/${String(closed.pullRequest?.number)}/close`, { by: 'carol' });
    expect((await waitForRequest(closed.id, (candidate) => candidate.status === 'FAILED')).failureReason).toContain(
      'closed without merging by carol',
    );

    const broken = await approveAndOpen('broken-queue');
    await control(`/local/github/pull-requests/${String(broken.pullRequest?.number)}/merge`, { apply: 'failure' });
    expect((await waitForRequest(broken.id, (candidate) => candidate.status === 'FAILED')).failureReason).toMatch(
      /apply ended failure: https:\/\/github.com\/acme\/terraform-live\/actions\/runs\/\d+/u,
    );
  });

  it('completes however the merge and apply webhooks interleave (the apply run arriving first)', async () => {
    const id = String((await request('alice', sqs('out-of-order'))).body['id']);
    const waiting = await waitForRequest(id, (candidate) => candidate.approval !== null);
    await vote('bob', waiting.approval?.id ?? '', 'APPROVE');
    const open = await waitForRequest(id, (candidate) => candidate.status === 'PR_OPEN');
    const merged = await runtime.github.merge('acme/terraform-live', open.pullRequest?.number ?? 0, 'dave');
    const send = async (eventName: string, payload: Record<string, unknown>) => {
      const delivery = await signedDelivery('local-github-secret', eventName, payload);
      return (
        await fetch(`${runtime.url}/webhooks/github`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        })
      ).status;
    };
    expect(
      await send(
        'workflow_run',
        workflowRunPayload({
          repository: 'acme/terraform-live',
          workflow: 'terraform-apply',
          headSha: merged.mergeCommitSha ?? '',
          conclusion: 'success',
          runId: 991,
          sender: 'dave',
        }),
      ),
    ).toBe(202);
    await runtime.bus.idle();
    expect((await waitForRequest(id, () => true)).status).toBe('PR_OPEN');
    expect(
      await send(
        'pull_request',
        pullRequestPayload({
          repository: 'acme/terraform-live',
          number: merged.number,
          headSha: merged.headSha,
          action: 'closed',
          state: 'closed',
          merged: true,
          mergeCommitSha: merged.mergeCommitSha ?? '',
          labels: [],
          sender: 'dave',
          branch: merged.branch,
        }),
      ),
    ).toBe(202);
    expect((await waitForRequest(id, (candidate) => candidate.status === 'COMPLETED')).outputs?.['queueUrl']).toContain(
      'orders-api-out-of-order',
    );
  });

  it('serves the OpenAPI document without a token', async () => {
    const response = await fetch(`${runtime.url}/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(openApiDocument());
  });

  it('pages the list with an opaque cursor and filters by status', async () => {
    const first = await call('alice', 'GET', '/v1/provisioning-requests?limit=2');
    expect(first.body['items']).toHaveLength(2);
    const next = await call(
      'alice',
      'GET',
      `/v1/provisioning-requests?limit=2&cursor=${String(first.body['nextCursor'])}`,
    );
    expect(next.status).toBe(200);
    const ids = new Set(
      [...(first.body['items'] as { id: string }[]), ...(next.body['items'] as { id: string }[])].map(
        (item) => item.id,
      ),
    );
    expect(ids.size).toBe(4);
    expect(first.body['nextCursor']).not.toBe(next.body['nextCursor']);
    const completed = (await call('alice', 'GET', '/v1/provisioning-requests?status=COMPLETED&limit=100')).body[
      'items'
    ] as { status: string }[];
    expect(completed.length).toBeGreaterThan(0);
    expect(completed.every((item) => item.status === 'COMPLETED')).toBe(true);
    expect((await call('alice', 'GET', '/v1/provisioning-requests?cursor=not-a-cursor')).status).toBe(400);
  });
});
