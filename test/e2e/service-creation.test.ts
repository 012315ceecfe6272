import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LocalGitRepository } from '../../functions/adapters/local/local-git.js';
import { catalogInfoYaml } from '../../infra/local/demo-catalog.js';
import {
  deliverGithubWebhook,
  pullRequestPayload,
  pushPayload,
  signedDelivery,
} from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { SAFETY_NET_MS, portalClient, startTestRuntime } from '../support/local-runtime.js';

interface ServiceView {
  name: string;
  status: string;
  repository: string;
  team: string;
  failureReason?: string;
  events: { action: string; toStatus?: string }[];
}

let runtime: LocalRuntime;
let stop: () => Promise<void>;
let alice: ReturnType<typeof portalClient>;
let erin: ReturnType<typeof portalClient>;

async function waitForService(name: string, until: (service: ServiceView) => boolean): Promise<ServiceView> {
  const deadline = Date.now() + SAFETY_NET_MS;
  for (;;) {
    const response = await alice.request('GET', `/v1/services/${name}`);
    if (response.status === 200) {
      const service = (await response.json()) as ServiceView;
      if (until(service)) return service;
    }
    if (Date.now() > deadline) throw new Error(`Service ${name} did not reach the expected state`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  alice = portalClient(runtime, await runtime.issuer.sign({ sub: 'alice' }));
  erin = portalClient(runtime, await runtime.issuer.sign({ sub: 'erin' }));
});

afterAll(async () => {
  await stop();
});

describe('service creation over HTTP', () => {
  it('creates the repositories, commits the catalog entity, Argo CD applications and Keycloak client, and registers the service so it deploys at once', async () => {
    const response = await alice.request('POST', '/v1/services', {
      name: 'payments-ledger',
      team: 'payments',
      tier: 'T2',
      template: 'node-api',
      description: 'Double-entry ledger',
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      id: 'payments-ledger',
      status: 'CREATING',
      href: '/v1/services/payments-ledger',
    });

    const service = await waitForService('payments-ledger', (candidate) => candidate.status === 'ACTIVE');
    expect(service.events.map((event) => event.action)).toEqual([
      'service.requested',
      'service.repositories-created',
      'service.gitops-committed',
      'service.registered',
    ]);

    const code = runtime.github.directoryOf('acme/payments-ledger');
    const entity = parse(readFileSync(join(code, 'catalog-info.yaml'), 'utf8')) as {
      kind: string;
      metadata: { name: string };
      spec: { owner: string };
    };
    expect(entity).toMatchObject({
      kind: 'Component',
      metadata: { name: 'payments-ledger' },
      spec: { owner: 'group:payments' },
    });
    expect(existsSync(join(code, 'Dockerfile'))).toBe(true);
    expect(existsSync(join(runtime.github.directoryOf('acme/payments-ledger-infra'), 'README.md'))).toBe(true);
    for (const app of ['payments-ledger-hml-use1', 'payments-ledger-prod-use1', 'payments-ledger-prod-sae1']) {
      const application = parse(
        readFileSync(join(runtime.gitops.directory, 'argocd', 'applications', `${app}.yaml`), 'utf8'),
      ) as { kind: string; spec: { source: { path: string } } };
      expect(application.kind).toBe('Application');
    }
    expect(
      JSON.parse(readFileSync(join(runtime.gitops.directory, 'keycloak', 'clients', 'payments-ledger.json'), 'utf8')),
    ).toMatchObject({ clientId: 'payments-ledger', serviceAccountsEnabled: true });

    const delivery = await signedDelivery(
      'local-github-secret',
      'pull_request',
      pullRequestPayload({
        repository: 'acme/payments-ledger',
        number: 1,
        headSha: 'a'.repeat(40),
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
      }),
    );
    const webhook = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(((await webhook.json()) as { status: string }).status).toBe('accepted');
    expect((await alice.waitFor('payments-ledger', 'hml', 'aaaaaaa')).status).toBe('SUCCEEDED');
  });

  it('refuses a taken name with 409, a name that is not DNS-safe with 400, and a team the caller is not in with 403', async () => {
    const duplicate = await alice.request('POST', '/v1/services', {
      name: 'orders-api',
      team: 'payments',
      tier: 'T1',
      template: 'node-api',
    });
    expect(duplicate.status).toBe(409);
    expect(((await duplicate.json()) as { type: string }).type).toBe('https://flightplan.dev/problems/conflict');
    const invalid = await alice.request('POST', '/v1/services', {
      name: 'Payments_Ledger',
      team: 'payments',
      tier: 'T9',
      template: 'cobol',
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errors: { path: string }[] }).errors.map((problem) => problem.path)).toEqual([
      'name',
      'tier',
      'template',
    ]);
    expect(
      (
        await erin.request('POST', '/v1/services', {
          name: 'sneaky-service',
          team: 'payments',
          tier: 'T3',
          template: 'node-api',
        })
      ).status,
    ).toBe(403);
    expect((await alice.request('GET', '/v1/services/sneaky-service')).status).toBe(404);
  });

  it('ends FAILED with the reason when a step fails, and creates the service when its team asks again', async () => {
    runtime.faults.addFunctionFault({ function: 'commitServiceGitOps', kind: 'throw', times: 1 });
    const body = { name: 'flaky-service', team: 'payments', tier: 'T3', template: 'static-web' };
    expect((await alice.request('POST', '/v1/services', body)).status).toBe(202);
    const failed = await waitForService('flaky-service', (candidate) => candidate.status === 'FAILED');
    expect(failed.failureReason).toContain('Injected failure in commitServiceGitOps');
    expect((await alice.request('POST', '/v1/services', body)).status).toBe(202);
    const retried = await waitForService('flaky-service', (candidate) => candidate.status === 'ACTIVE');
    expect(retried.team).toBe('payments');
    expect(retried.events.map((event) => event.toStatus).filter(Boolean)).toEqual([
      'CREATING',
      'FAILED',
      'CREATING',
      'ACTIVE',
    ]);
    // The repository existed on the second attempt: its catalog entity came as a pull request, not a push.
    expect(
      runtime.github.listPullRequests({ repository: 'acme/flaky-service' }).map((pullRequest) => pullRequest.branch),
    ).toEqual(['flightplan/catalog-info']);
    expect((await alice.request('POST', '/v1/services', body)).status).toBe(409);
  });

  it("storefront cannot take over payments' FAILED payments-ledger", async () => {
    runtime.faults.addFunctionFault({ function: 'commitServiceGitOps', kind: 'throw', times: 1 });
    const body = { name: 'payments-ledger-v2', team: 'payments', tier: 'T3', template: 'node-api' };
    expect((await alice.request('POST', '/v1/services', body)).status).toBe(202);
    await waitForService('payments-ledger-v2', (candidate) => candidate.status === 'FAILED');
    const takeover = await erin.request('POST', '/v1/services', { ...body, team: 'storefront' });
    expect(takeover.status).toBe(409);
    expect(((await takeover.json()) as { detail: string }).detail).toContain('belongs to team payments');
    expect((await waitForService('payments-ledger-v2', () => true)).team).toBe('payments');
  });

  it.each([
    ...['terraform-live', 'gitops', 'terraform-aws-modules', 'template-node-api', 'template-infra'].map(
      (name) => [name, 'its repository'] as const,
    ),
    ...['kube-system', 'default', 'argocd', 'realm-management', 'admin-cli', 'flightplan-console'].map(
      (name) => [name, 'its namespace or Keycloak client'] as const,
    ),
  ])("refuses %j as a service name: %s would be the platform's", async (name) => {
    const response = await alice.request('POST', '/v1/services', {
      name,
      team: 'payments',
      tier: 'T3',
      template: 'node-api',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { path: string }[] }).errors.map((error) => error.path)).toEqual([
      'name',
    ]);
    expect((await alice.request('GET', `/v1/services/${name}`)).status).toBe(404);
  });

  it('never adopts a repository Flightplan did not create for the service', async () => {
    const legacy = new LocalGitRepository(runtime.github.directoryOf('acme/legacy-billing'));
    await legacy.init([{ path: 'README.md', content: '# Legacy billing\n' }], 'Initial commit');
    const before = await legacy.head();
    expect(
      (
        await alice.request('POST', '/v1/services', {
          name: 'legacy-billing',
          team: 'payments',
          tier: 'T3',
          template: 'node-api',
        })
      ).status,
    ).toBe(202);
    const failed = await waitForService('legacy-billing', (candidate) => candidate.status === 'FAILED');
    expect(failed.failureReason).toContain('Flightplan did not create it');
    expect(await legacy.head()).toBe(before);
    expect(runtime.github.listPullRequests({ repository: 'acme/legacy-billing' })).toEqual([]);
  });

  it('does not deploy a service whose creation has not finished', async () => {
    await runtime.deps.catalog.createService({
      service: {
        name: 'half-made',
        repository: 'acme/half-made',
        team: 'payments',
        tier: 'T3',
        imageRepository: 'registry/half-made',
        status: 'CREATING',
        revision: 0,
      },
      event: { at: new Date().toISOString(), actor: 'test', action: 'service.requested', message: 'test' },
    });
    const delivery = await signedDelivery(
      'local-github-secret',
      'pull_request',
      pullRequestPayload({
        repository: 'acme/half-made',
        number: 1,
        headSha: 'b'.repeat(40),
        action: 'labeled',
        label: 'deploy-hml',
        labels: ['deploy-hml'],
        sender: 'alice',
      }),
    );
    const webhook = await fetch(`${runtime.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(await webhook.json()).toMatchObject({ status: 'ignored' });
  });

  it('lists the catalog with filters and cursor pagination', async () => {
    const payments = await alice.get<{ items: { name: string; team: string }[]; nextCursor: string | null }>(
      '/v1/services?team=payments&status=ACTIVE&limit=100',
    );
    expect(payments.items.map((item) => item.name).sort()).toEqual(['flaky-service', 'orders-api', 'payments-ledger']);
    const first = await alice.get<{ items: { name: string }[]; nextCursor: string | null }>('/v1/services?limit=1');
    expect(first.items).toHaveLength(1);
    const second = await alice.get<{ items: { name: string }[] }>(
      `/v1/services?limit=1&cursor=${first.nextCursor ?? ''}`,
    );
    expect(second.items[0]?.name).not.toBe(first.items[0]?.name);
  });

  it("hands storefront list cursors that name none of payments' services its pages read past", async () => {
    const portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'dave' }));
    // Ahead of every storefront service in the catalog's order, and more of them than the
    // portal reads for one page: erin's first page ends on one of them.
    const ledgers = Array.from({ length: 12 }, (_, index) => `aaa-ledger-${String(index + 1).padStart(2, '0')}`);
    for (const name of ledgers) {
      const body = {
        repository: `acme/${name}`,
        team: 'payments',
        tier: 'T3',
        imageRepository: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${name}`,
      };
      expect((await portal.request('PUT', `/v1/services/${name}`, body)).status).toBe(200);
    }
    type Services = { items: { name: string; team: string }[]; nextCursor: string | null };
    const seen: string[] = [];
    let path = '/v1/services?limit=1';
    for (let page = 0; page < 50; page += 1) {
      const listed = await erin.get<Services>(path);
      seen.push(...listed.items.map((service) => service.team));
      if (!listed.nextCursor) break;
      expect(Buffer.from(listed.nextCursor, 'base64url').toString('latin1')).not.toMatch(/aaa-ledger|payments/u);
      if (page === 0) {
        const elsewhere = await erin.request('GET', `/v1/services?status=ACTIVE&limit=1&cursor=${listed.nextCursor}`);
        expect(elsewhere.status).toBe(400);
        const altered = `${listed.nextCursor.slice(0, -2)}${listed.nextCursor.endsWith('AA') ? 'BB' : 'AA'}`;
        expect((await erin.request('GET', `/v1/services?limit=1&cursor=${altered}`)).status).toBe(400);
      }
      path = `/v1/services?limit=1&cursor=${listed.nextCursor}`;
    }
    expect(seen).toContain('storefront');
    expect(seen).not.toContain('payments');
  });
});

describe('catalog-info.yaml pushed to an existing repository', () => {
  it('does not go back to an older catalog-info.yaml when its push is delivered again after a later one', async () => {
    const component = { repository: 'acme/journal-api', name: 'journal-api', team: 'payments', tier: 'T3' } as const;
    const pushed = async (slackChannel: string) => {
      const response = await fetch(`${runtime.url}/local/github/repositories/${component.repository}/commits`, {
        method: 'POST',
        body: JSON.stringify({
          files: { 'catalog-info.yaml': catalogInfoYaml({ ...component, slackChannel }) },
          message: 'catalog',
          author: 'alice',
        }),
      });
      expect(response.status).toBe(200);
      await runtime.bus.idle();
      return ((await response.json()) as { revision: string }).revision;
    };
    const older = await pushed('#journal-old');
    await pushed('#journal-new');
    // A failed delivery redelivered by hand after a later one succeeded, or a signed body kept and sent again.
    const redelivered = await deliverGithubWebhook(
      runtime.url,
      'local-github-secret',
      'push',
      pushPayload({
        repository: component.repository,
        before: null,
        after: older,
        message: 'catalog',
        added: [],
        modified: ['catalog-info.yaml'],
        removed: [],
        sender: 'alice',
      }),
    );
    expect(redelivered.body).toMatchObject({ status: 'accepted' });
    await runtime.bus.idle();
    expect(await (await alice.request('GET', '/v1/services/journal-api')).json()).toMatchObject({
      status: 'ACTIVE',
      slackChannel: '#journal-new',
    });
  });
});
