import { format } from '@cdktf/hcl-tools';
import { parse } from '@cdktf/hcl2json';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  interpretApplyRun,
  interpretRelease,
  interpretTerraformPullRequest,
  releaseEventSchema,
  type PullRequestEvent,
  type WorkflowRunEvent,
} from '../../functions/domain/github-delivery.js';
import {
  QUOTAS,
  applyOutcomeOf,
  checkProvisioningPolicy,
  newProvisioningRequest,
  outputsOf,
  provisioningRequestBodySchema,
  transitionProvisioning,
  type ProvisioningRequest,
  type ProvisioningRequestBody,
} from '../../functions/domain/provisioning.js';
import { hclString, renderTerraform } from '../../functions/domain/terraform.js';
import { InvalidTransitionError, ValidationError } from '../../functions/errors.js';

const ACCOUNTS = { hml: '111111111111', prod: '222222222222' };
const POLICY_CONTEXT = { account: ACCOUNTS.hml, snsHttpsDomains: ['hooks.acme.example'] };
const body = (overrides: Record<string, unknown>): ProvisioningRequestBody =>
  provisioningRequestBodySchema.parse({
    service: 'orders-api',
    environment: 'hml',
    region: 'us-east-1',
    type: 'sqs',
    name: 'events',
    ...overrides,
  });
const requestFor = (
  overrides: Record<string, unknown>,
  service: { team?: string; domain?: string } = {},
): ProvisioningRequest =>
  newProvisioningRequest({
    id: 'prv-1',
    body: body(overrides),
    service: {
      name: 'orders-api',
      team: service.team ?? 'payments',
      ...(service.domain ? { domain: service.domain } : {}),
    },
    requestedBy: 'alice',
    accounts: ACCOUNTS,
    now: '2026-11-23T10:00:00.000Z',
  });

describe('provisioning request schemas', () => {
  it('applies the platform defaults when the spec is absent', () => {
    expect(body({ type: 'sqs' }).spec).toEqual({
      fifo: false,
      visibilityTimeoutSeconds: 30,
      retentionDays: 4,
      maxReceiveCount: 5,
    });
    expect(body({ type: 'rds' }).spec).toMatchObject({
      engine: 'postgres',
      instanceClass: 'db.t4g.small',
      multiAz: false,
    });
  });

  it('lists every problem at once, including options the platform does not offer', () => {
    const result = provisioningRequestBodySchema.safeParse({
      service: 'Orders',
      environment: 'dev',
      region: 'us-east-1',
      type: 's3',
      name: 'x',
      spec: { versioning: 'yes', publicRead: true },
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['service', 'environment', 'name', 'spec.versioning', 'spec']));
  });

  it.each([
    [{ type: 'dynamodb' }, 'spec'],
    [{ type: 'rds', spec: { storageGb: 5 } }, 'spec.storageGb'],
    [{ type: 'elasticache', spec: { nodeType: 'cache.m1.huge' } }, 'spec.nodeType'],
    [{ type: 'kafka' }, 'type'],
  ])('refuses %j at %s', (overrides, path) => {
    const result = provisioningRequestBodySchema.safeParse({
      service: 'orders-api',
      environment: 'hml',
      region: 'us-east-1',
      name: 'events',
      ...overrides,
    });
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});

describe('provisioning policy', () => {
  const t1 = { name: 'orders-api', tier: 'T1' as const };
  const t3 = { name: 'orders-api', tier: 'T3' as const };

  it.each([
    ['a small queue in hml', { type: 'sqs' }, t3, 0, []],
    ['a name that repeats the service', { name: 'orders-api-events' }, t3, 0, ['name']],
    [
      'a bucket whose global name gets too long',
      {
        type: 's3',
        service: 'orders-api-platform-edge',
        name: 'invoices-and-receipts-archive',
        environment: 'prod',
        region: 'sa-east-1',
      },
      t3,
      0,
      ['name'],
    ],
    [
      'a cache id over 40 characters',
      { type: 'elasticache', name: 'session-cache-for-shopping-carts' },
      t1,
      0,
      ['name'],
    ],
    ['the quota reached', { type: 'rds' }, t3, QUOTAS.rds, ['type']],
    [
      'a large database in hml',
      { type: 'rds', spec: { instanceClass: 'db.r6g.large' } },
      t1,
      0,
      ['spec.instanceClass'],
    ],
    [
      'a large database for a T3 service in prod',
      { type: 'rds', environment: 'prod', spec: { instanceClass: 'db.r6g.large' } },
      t3,
      0,
      ['spec.instanceClass'],
    ],
    ['a single-AZ database for a T1 service in prod', { type: 'rds', environment: 'prod' }, t1, 0, ['spec.multiAz']],
    [
      'a multi-AZ database for a T1 service in prod',
      { type: 'rds', environment: 'prod', spec: { multiAz: true, instanceClass: 'db.r6g.xlarge' } },
      t1,
      0,
      [],
    ],
    [
      'a T1 cache without replicas in prod',
      { type: 'elasticache', environment: 'prod', spec: { replicas: 0 } },
      t1,
      0,
      ['spec.replicas'],
    ],
    ['too much storage for a T3 service', { type: 'rds', spec: { storageGb: 500 } }, t3, 0, ['spec.storageGb']],
    [
      'a sort key equal to the partition key',
      { type: 'dynamodb', spec: { partitionKey: { name: 'id' }, sortKey: { name: 'id' } } },
      t3,
      0,
      ['spec.sortKey.name'],
    ],
  ] as const)('%s → problems at %j', (_case, overrides, service, existing, paths) => {
    expect(
      checkProvisioningPolicy(body(overrides), service, existing, POLICY_CONTEXT).map((problem) => problem.path),
    ).toEqual(paths);
  });

  const sns = (protocol: string, endpoint: string, region = 'us-east-1') =>
    body({ type: 'sns', region, spec: { subscriptions: [{ protocol, endpoint }] } });
  it.each([
    ['an https endpoint on an allowed domain', sns('https', 'https://hooks.acme.example/orders'), []],
    ['an https endpoint on a subdomain of an allowed domain', sns('https', 'https://eu.hooks.acme.example/orders'), []],
    ["an attacker's https URL", sns('https', 'https://attacker.example/collect'), ['spec.subscriptions.0.endpoint']],
    ['a look-alike domain', sns('https', 'https://evilhooks.acme.example/x'), ['spec.subscriptions.0.endpoint']],
    ['plain http', sns('https', 'http://hooks.acme.example/x'), ['spec.subscriptions.0.endpoint']],
    [
      'credentials in the URL',
      sns('https', 'https://user:pass@hooks.acme.example/x'),
      ['spec.subscriptions.0.endpoint'],
    ],
    ['a queue in the same account and region', sns('sqs', 'arn:aws:sqs:us-east-1:111111111111:orders-api-events'), []],
    [
      "another account's SQS ARN",
      sns('sqs', 'arn:aws:sqs:us-east-1:999999999999:steal'),
      ['spec.subscriptions.0.endpoint'],
    ],
    [
      'a queue in another region',
      sns('sqs', 'arn:aws:sqs:sa-east-1:111111111111:orders-api-events'),
      ['spec.subscriptions.0.endpoint'],
    ],
    [
      'a queue URL instead of an ARN',
      sns('sqs', 'https://sqs.us-east-1.amazonaws.com/111111111111/q'),
      ['spec.subscriptions.0.endpoint'],
    ],
    [
      'a function in the same account and region',
      sns('lambda', 'arn:aws:lambda:us-east-1:111111111111:function:orders-consumer:live'),
      [],
    ],
    [
      "another account's function",
      sns('lambda', 'arn:aws:lambda:us-east-1:999999999999:function:x'),
      ['spec.subscriptions.0.endpoint'],
    ],
  ] as const)('SNS subscriptions: %s → problems at %j', (_case, request, paths) => {
    expect(
      checkProvisioningPolicy(request, { name: 'orders-api', tier: 'T3' }, 0, POLICY_CONTEXT).map(
        (problem) => problem.path,
      ),
    ).toEqual(paths);
  });

  it('allows no https subscription when no domain is listed', () => {
    expect(
      checkProvisioningPolicy(
        sns('https', 'https://hooks.acme.example/orders'),
        { name: 'orders-api', tier: 'T3' },
        0,
        { ...POLICY_CONTEXT, snsHttpsDomains: [] },
      ),
    ).toHaveLength(1);
  });
});

describe('provisioning request record', () => {
  it('places the Terraform at {account}/{env}/{region}/{type}/{service}/{name}.tf and the secret at helpdev/{env}/{region}/{domain}/{service}/{type}', () => {
    const request = requestFor(
      {
        environment: 'prod',
        region: 'sa-east-1',
        type: 'dynamodb',
        name: 'orders',
        spec: { partitionKey: { name: 'pk' } },
      },
      { domain: 'commerce' },
    );
    expect(request.path).toBe('222222222222/prod/sa-east-1/dynamodb/orders-api/orders.tf');
    expect(request.secretPath).toBe('helpdev/prod/sa-east-1/commerce/orders-api/dynamodb');
    expect(outputsOf(request)).toEqual({
      tableName: 'orders-api-orders',
      tableArn: 'arn:aws:dynamodb:sa-east-1:222222222222:table/orders-api-orders',
      secretPath: request.secretPath,
    });
  });

  it('names FIFO queues and their dead-letter queues with the .fifo suffix', () => {
    const request = requestFor({ spec: { fifo: true } });
    expect(request.physicalName).toBe('orders-api-events.fifo');
    expect(outputsOf(request)['deadLetterQueueArn']).toBe(
      'arn:aws:sqs:us-east-1:111111111111:orders-api-events-dlq.fifo',
    );
  });

  it('refuses transitions the lifecycle does not allow', () => {
    const request = requestFor({});
    expect(() =>
      transitionProvisioning(request, 'COMPLETED', { now: 'now', actor: 'x', action: 'a', message: 'm' }),
    ).toThrow(InvalidTransitionError);
    expect(
      transitionProvisioning(request, 'AWAITING_APPROVAL', { now: 'now', actor: 'x', action: 'a', message: 'm' }).event,
    ).toMatchObject({ fromStatus: 'REQUESTED', toStatus: 'AWAITING_APPROVAL' });
  });

  it.each([
    [null, null, 'waiting'],
    [{ state: 'open' }, null, 'waiting'],
    [{ state: 'merged' }, null, 'waiting'],
    [{ state: 'merged' }, { conclusion: 'success' }, 'applied'],
    [{ state: 'merged' }, { conclusion: 'failure' }, 'failed'],
    [{ state: 'closed' }, null, 'failed'],
  ] as const)('with pull request %j and apply %j the request is %s', (pullRequest, apply, kind) => {
    const request = {
      pullRequest: pullRequest
        ? { repository: 'acme/terraform-live', number: 1, url: 'u', branch: 'b', ...pullRequest }
        : null,
      apply: apply ? { runUrl: 'r', headSha: 's', runAttempt: 1, ...apply } : null,
    };
    expect(applyOutcomeOf(request).kind).toBe(kind);
  });
});

describe('Terraform generation', () => {
  const arbitraryBody = fc.oneof(
    fc.record({
      type: fc.constant('sqs'),
      spec: fc.record({ fifo: fc.boolean(), retentionDays: fc.integer({ min: 1, max: 14 }) }),
    }),
    fc.record({
      type: fc.constant('sns'),
      spec: fc.record({
        subscriptions: fc.array(
          fc.record({
            protocol: fc.constantFrom('sqs', 'https'),
            endpoint: fc.string({ minLength: 1, maxLength: 40 }),
          }),
          { maxLength: 3 },
        ),
      }),
    }),
    fc.record({
      type: fc.constant('s3'),
      spec: fc.record({ versioning: fc.boolean(), expireAfterDays: fc.integer({ min: 1, max: 3650 }) }),
    }),
    fc.record({
      type: fc.constant('dynamodb'),
      spec: fc.record({
        partitionKey: fc.record({ name: fc.constantFrom('pk', 'id'), type: fc.constantFrom('S', 'N') }),
        ttlAttribute: fc.constantFrom('expiresAt', 'ttl'),
      }),
    }),
    fc.record({
      type: fc.constant('rds'),
      spec: fc.record({ engine: fc.constantFrom('postgres', 'mysql'), storageGb: fc.integer({ min: 20, max: 2000 }) }),
    }),
    fc.record({ type: fc.constant('elasticache'), spec: fc.record({ replicas: fc.integer({ min: 0, max: 5 }) }) }),
  );

  it('is valid HCL that terraform fmt leaves unchanged, whatever the options and reason', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbitraryBody,
        fc.string({ maxLength: 60 }),
        fc.constantFrom('hml', 'prod'),
        async (generated, reason, environment) => {
          const request = requestFor({ ...generated, environment, ...(reason.trim() ? { reason } : {}) });
          const hcl = renderTerraform(request, 'git::https://github.com/acme/terraform-aws-modules.git');
          expect(await format(hcl)).toBe(hcl);
          const parsed = (await parse(request.path, hcl)) as {
            module: Record<string, [{ name: string; secret_path: string; source: string }]>;
          };
          expect(parsed.module['orders_api_events']?.[0]).toMatchObject({
            name: request.physicalName,
            secret_path: request.secretPath,
            source: `git::https://github.com/acme/terraform-aws-modules.git//${request.type}?ref=v1`,
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  const MODULES = 'git::https://github.com/acme/terraform-aws-modules.git';
  const BACKDOOR = 'alice\nresource "aws_iam_user" "backdoor" {\n  name = "backdoor"\n}\n#';

  it('keeps a login with a newline from adding resource "aws_iam_user" "backdoor"', async () => {
    const request = {
      ...requestFor({ reason: 'x\n}\nresource "aws_iam_user" "backdoor" {\n#' }),
      requestedBy: BACKDOOR,
    };
    const hcl = renderTerraform(request, MODULES);
    expect(hcl).not.toContain('backdoor');
    const parsed = (await parse(request.path, hcl)) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['module', 'output']);
  });

  it('writes only a fixed sentence in comments', () => {
    const comments = renderTerraform(requestFor({ reason: 'because' }), MODULES)
      .split('\n')
      .filter((line) => line.trimStart().startsWith('#'));
    expect(comments).toEqual(['# Managed by Flightplan; change it through the portal.']);
  });

  it.each(['\b', '\f', '\n', '\r', '\t', '\u0000', '\u007f', '\u0085', '\u2028'])(
    'refuses the control character %j in an HCL string',
    (character) => {
      expect(() => hclString(`a${character}b`)).toThrow(ValidationError);
    },
  );

  it.each([
    ['say "hi"', '"say \\"hi\\""'],
    ['C:\\path', '"C:\\\\path"'],
    ['$${already}', '"$$${already}"'],
    ['é ✓', '"é ✓"'],
  ])('writes %j as the HCL string %s', (text, expected) => {
    expect(hclString(text)).toBe(expected);
  });

  it('parses to exactly one module call and is terraform fmt-clean for any login, reason and endpoint', async () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom('\n', '"\n}\n', '\\', '${x}', '%{x}', '\b', '\f', '#', '*/', '<<EOF'),
    );
    const login = fc.tuple(text, text).map(([head, tail]) => `${head}\n${tail}`);
    await fc.assert(
      fc.asyncProperty(login, text, fc.array(text, { maxLength: 2 }), async (requestedBy, reason, endpoints) => {
        const subscriptions = endpoints.map((endpoint) => ({
          protocol: 'https',
          endpoint: endpoint === '' ? 'x' : endpoint,
        }));
        const request = {
          ...requestFor({ type: 'sns', spec: { subscriptions }, ...(reason.trim() ? { reason } : {}) }),
          requestedBy,
        };
        let hcl: string;
        try {
          hcl = renderTerraform(request, MODULES);
        } catch (error) {
          // A control character is refused outright, never written.
          expect(error).toBeInstanceOf(ValidationError);
          return;
        }
        expect(await format(hcl)).toBe(hcl);
        const parsed = (await parse(request.path, hcl)) as {
          module: Record<string, unknown[]>;
          output: Record<string, unknown[]>;
        };
        expect(Object.keys(parsed).sort()).toEqual(['module', 'output']);
        expect(Object.keys(parsed.module)).toEqual(['orders_api_events']);
        expect(parsed.module['orders_api_events']).toHaveLength(1);
        expect(Object.keys(parsed.output)).toEqual(['orders_api_events']);
      }),
      { numRuns: 80 },
    );
  });

  it('escapes template sequences so a value is never interpolated by Terraform', async () => {
    const hcl = renderTerraform(
      requestFor({
        type: 'sns',
        spec: { subscriptions: [{ protocol: 'https', endpoint: 'https://hooks/${var.secret}/%{if x}' }] },
      }),
      'git::m',
    );
    expect(hcl).toContain('"https://hooks/$${var.secret}/%%{if x}"');
    expect(await format(hcl)).toBe(hcl);
  });
});

describe('GitHub deliveries on the Terraform repository', () => {
  const pullRequest = (action: string, merged: boolean): PullRequestEvent => ({
    action,
    number: 7,
    pull_request: {
      state: 'closed',
      head: { sha: 'a'.repeat(40) },
      labels: [],
      merged,
      merge_commit_sha: merged ? 'b'.repeat(40) : null,
    },
    repository: { full_name: 'acme/terraform-live' },
    sender: { login: 'carol' },
  });
  const run = (
    action: string,
    name: string,
    conclusion: string | null,
    overrides: Partial<WorkflowRunEvent['workflow_run']> = {},
  ): WorkflowRunEvent => ({
    action,
    workflow_run: {
      name,
      head_branch: 'main',
      head_sha: 'b'.repeat(40),
      conclusion,
      html_url: 'https://github.com/acme/terraform-live/actions/runs/1',
      event: 'push',
      path: '.github/workflows/terraform-apply.yml',
      run_attempt: 1,
      ...overrides,
    },
    repository: { full_name: 'acme/terraform-live', default_branch: 'main' },
    sender: { login: 'carol' },
  });

  it.each([
    [
      pullRequest('closed', true),
      { kind: 'terraform-pull-request-closed', merged: true, mergeCommitSha: 'b'.repeat(40), closedBy: 'carol' },
    ],
    [pullRequest('closed', false), { kind: 'terraform-pull-request-closed', merged: false, mergeCommitSha: null }],
    [pullRequest('opened', false), { kind: 'ignored' }],
  ])('reads pull request %#', (event, expected) => {
    expect(interpretTerraformPullRequest(event)).toMatchObject(expected);
  });

  it.each([
    [run('completed', 'terraform-apply', 'success'), { kind: 'terraform-applied', conclusion: 'success' }],
    [run('completed', 'terraform-apply', null), { kind: 'terraform-applied', conclusion: 'unknown' }],
    [run('completed', 'lint', 'success'), { kind: 'ignored' }],
    [run('in_progress', 'terraform-apply', null), { kind: 'ignored' }],
    [run('completed', 'terraform-apply', 'success', { run_attempt: 2 }), { kind: 'terraform-applied', runAttempt: 2 }],
  ])('reads workflow run %#', (event, expected) => {
    expect(interpretApplyRun(event, 'terraform-apply')).toMatchObject(expected);
  });

  it.each([
    ["a run from a fork's branch", { head_branch: 'attacker-patch' }],
    ['a workflow_dispatch run', { event: 'workflow_dispatch' }],
    ['a pull_request run', { event: 'pull_request' }],
    ['another workflow file named terraform-apply', { path: '.github/workflows/evil.yml' }],
  ])('does not count %s as the apply', (_case, overrides) => {
    expect(
      interpretApplyRun(run('completed', 'terraform-apply', 'success', overrides), 'terraform-apply'),
    ).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['a published release', 'published', false, 'deploy-prod'],
    ['a pre-release promoted to a release', 'released', false, 'deploy-prod'],
    ['a published pre-release', 'published', true, 'ignored'],
    ['an edited release', 'edited', false, 'ignored'],
  ] as const)('%s → %s', (_case, action, prerelease, kind) => {
    const event = {
      action,
      release: { tag_name: 'v1.2.3', draft: false, prerelease, author: { login: 'alice' } },
      repository: { full_name: 'acme/orders-api' },
      sender: { login: 'alice' },
    };
    expect(interpretRelease(event).kind).toBe(kind);
  });

  it.each([
    ['a 900 KB tag', { tag_name: 'v'.repeat(900 * 1024) }],
    ['a tag with a newline', { tag_name: 'v1\n<!here>' }],
  ])('refuses %s with the rule portal versions follow', (_case, release) => {
    expect(
      releaseEventSchema.safeParse({
        action: 'published',
        release: { draft: false, prerelease: false, author: { login: 'alice' }, ...release },
        repository: { full_name: 'acme/orders-api' },
        sender: { login: 'alice' },
      }).success,
    ).toBe(false);
  });

  it('refuses a sender login GitHub would not allow', () => {
    expect(
      releaseEventSchema.safeParse({
        action: 'published',
        release: { tag_name: 'v1', draft: false, prerelease: false, author: { login: 'alice\nx' } },
        repository: { full_name: 'acme/orders-api' },
        sender: { login: 'alice' },
      }).success,
    ).toBe(false);
  });
});
