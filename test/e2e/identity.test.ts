import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliverGithubWebhook,
  pullRequestPayload,
  releasePayload,
  type PullRequestDeliveryOptions,
} from '../../infra/local/github-payloads.js';
import { catalogInfoYaml } from '../../infra/local/demo-catalog.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import {
  clickApprovalButton,
  portalClient,
  slackMessageFor,
  startTestRuntime,
  type DeploymentView,
} from '../support/local-runtime.js';

const GITHUB_SECRET = 'local-github-secret';
let runtime: LocalRuntime;
let stop: () => Promise<void>;
let portal: ReturnType<typeof portalClient>;

const github = (eventName: string, payload: unknown) =>
  deliverGithubWebhook(runtime.url, GITHUB_SECRET, eventName, payload);

async function publish(options: { repository?: string; tag: string; author: string; publisher?: string }) {
  const delivery = await github(
    'release',
    releasePayload({ repository: options.repository ?? 'acme/orders-api', ...options }),
  );
  expect(delivery.status).toBe(202);
  return delivery;
}

/** The answer the clicker sees once the vote was counted (the click itself is acknowledged empty at once). */
async function click(slackUserId: string, approvalId: string, actionId: 'approve' | 'reject' = 'approve') {
  const clicked = await clickApprovalButton(runtime, { slackUserId, actionId, approvalId });
  expect(clicked).toMatchObject({ status: 200, body: '' });
  return clicked.answer();
}

const awaitingApproval = (service: string, tag: string) =>
  portal.waitFor(
    service,
    'prod',
    tag,
    (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
  );
const approvalOf = (deployment: DeploymentView) => deployment.approvals[0]?.id ?? '';

/** A head SHA whose 7-character version is unique per seed. */
const sha = (seed: number) => `e${seed.toString(16).padStart(6, '0')}`.padEnd(40, 'b');
const labelled = (overrides: Partial<PullRequestDeliveryOptions>): PullRequestDeliveryOptions => ({
  repository: 'acme/orders-api',
  number: 90,
  headSha: sha(1),
  action: 'labeled',
  label: 'deploy-hml',
  labels: ['deploy-hml'],
  sender: 'alice',
  ...overrides,
});

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'dave' }));
});

afterAll(async () => {
  await stop();
});

describe('self-approval across Keycloak, GitHub and Slack', () => {
  it('refuses bob when bob published the release alice drafted; platform-team stands in', async () => {
    await publish({ tag: 'v9.1.0', author: 'alice', publisher: 'bob' });
    const approvalId = approvalOf(await awaitingApproval('orders-api', 'v9.1.0'));
    expect(await click('UBOB', approvalId)).toContain('bob asked for this change');
    expect(await click('UALICE', approvalId)).toContain('alice asked for this change');
    const message = await slackMessageFor(runtime, approvalId);
    expect(JSON.stringify(message.blocks)).toContain('platform-team members count toward it');
    expect(await click('UCAROL', approvalId)).toContain('APPROVED');
    expect((await portal.waitFor('orders-api', 'prod', 'v9.1.0')).status).toBe('SUCCEEDED');
  });

  it('needs two approvals when a bot published the release, so the human behind it cannot ship it alone', async () => {
    await publish({ tag: 'v9.2.0', author: 'release-please[bot]' });
    const approvalId = approvalOf(await awaitingApproval('orders-api', 'v9.2.0'));
    expect(await click('UALICE', approvalId)).toContain('your vote is recorded');
    expect((await portal.get<{ status: string }>(`/v1/approvals/${encodeURIComponent(approvalId)}`)).status).toBe(
      'PENDING',
    );
    expect(await click('UBOB', approvalId)).toContain('APPROVED');
    expect((await portal.waitFor('orders-api', 'prod', 'v9.2.0')).status).toBe('SUCCEEDED');
  });

  it('refuses alice when the release author is Alice with a capital A', async () => {
    await publish({ tag: 'v9.3.0', author: 'Alice' });
    const approvalId = approvalOf(await awaitingApproval('orders-api', 'v9.3.0'));
    expect(await click('UALICE', approvalId)).toContain('asked for this change');
    expect(await click('UBOB', approvalId)).toContain('APPROVED');
    expect((await portal.waitFor('orders-api', 'prod', 'v9.3.0')).status).toBe('SUCCEEDED');
  });

  it("refuses a token with sub=alice and preferred_username=alice2 on alice's own deployment", async () => {
    await publish({ tag: 'v9.4.0', author: 'alice' });
    const approvalId = approvalOf(await awaitingApproval('orders-api', 'v9.4.0'));
    const alice2 = portalClient(runtime, await runtime.issuer.sign({ sub: 'alice', username: 'alice2' }));
    expect(
      (await alice2.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(403);
    const bob = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
    expect(
      (await bob.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
    expect((await portal.waitFor('orders-api', 'prod', 'v9.4.0')).status).toBe('SUCCEEDED');
  });
});

describe('self-approval with a GitHub login the directory gives somebody else', () => {
  it("refuses a portal vote whose token says it is the release's author, though a stale hand link holds that login", async () => {
    // kim was linked by hand by login only; kim renamed on GitHub and the login went to mallory's account.
    expect(
      (await portal.request('PUT', '/v1/people/kim', { github: { login: 'kim-gh' }, teams: ['payments'] })).status,
    ).toBe(200);
    const mallory = portalClient(
      runtime,
      await runtime.issuer.sign({ sub: 'mallory-gh', groups: ['/payments'], githubLogin: 'kim-gh' }),
    );
    expect(await mallory.get<{ github?: unknown }>('/v1/me')).not.toHaveProperty('github');
    await publish({ tag: 'v9.6.0', author: 'kim-gh' });
    const votes = `/v1/approvals/${encodeURIComponent(approvalOf(await awaitingApproval('orders-api', 'v9.6.0')))}/votes`;
    expect((await mallory.request('POST', votes, { decision: 'APPROVE' })).status).toBe(403);
    const bob = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
    expect((await bob.request('POST', votes, { decision: 'APPROVE' })).status).toBe(200);
    expect((await portal.waitFor('orders-api', 'prod', 'v9.6.0')).status).toBe('SUCCEEDED');
  });
});

describe('teams from tokens as API Gateway passes them', () => {
  it.each([
    ['"[payments]"', 'frank', '[payments]'],
    ['"[a payments b]"', 'grace', '[a payments b]'],
    ['/payments', 'heidi', '/payments'],
  ])('reads groups %s as membership of payments', async (_shape, sub, groups) => {
    const client = portalClient(runtime, await runtime.issuer.sign({ sub, groups }));
    expect((await client.get<{ teams: string[] }>('/v1/me')).teams).toContain('payments');
    const response = await client.request(
      'POST',
      '/v1/deployments',
      { service: 'orders-api', environment: 'hml', version: `${sub}-1` },
      { 'idempotency-key': sub },
    );
    expect(response.status).toBe(202);
  });
});

describe('teams from Keycloak group paths', () => {
  it('does not give platform-team to a member of /vendor/platform-team, a group whoever manages /vendor can create', async () => {
    const mallory = portalClient(
      runtime,
      await runtime.issuer.sign({ sub: 'mallory', groups: '[/vendor /vendor/platform-team]' }),
    );
    expect((await mallory.get<{ teams: string[] }>('/v1/me')).teams).toEqual(['vendor']);
    const service = {
      repository: 'acme/mallory-api',
      team: 'vendor',
      tier: 'T3',
      imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mallory-api',
    };
    expect((await mallory.request('PUT', '/v1/services/mallory-api', service)).status).toBe(403);
    expect((await portal.request('GET', '/v1/services/mallory-api')).status).toBe(404);
  });
});

describe('a one-person team', () => {
  it('lets storefront (only erin) ship to PROD, with platform-team standing in', async () => {
    await publish({ repository: 'acme/catalog-web', tag: 'v5.0.0', author: 'erin' });
    const approvalId = approvalOf(await awaitingApproval('catalog-web', 'v5.0.0'));
    const message = await slackMessageFor(runtime, approvalId);
    expect(JSON.stringify(message.blocks)).toContain(
      'storefront has 0 member(s) who may approve and 1 are needed, so platform-team members count toward it',
    );
    expect(await click('UERIN', approvalId)).toContain('erin asked for this change');
    expect(await click('UDAVE', approvalId)).toContain('APPROVED');
    expect((await portal.waitFor('catalog-web', 'prod', 'v5.0.0')).status).toBe('SUCCEEDED');
  });
});

describe('the directory fills itself', () => {
  it('lets a new person who has only signed in to the portal vote from Slack', async () => {
    const ivan = portalClient(
      runtime,
      await runtime.issuer.sign({
        sub: '5b0c6f1e-ivan',
        username: 'ivan',
        email: 'ivan@acme.test',
        groups: ['/payments'],
      }),
    );
    expect(await ivan.get<{ id: string; teams: string[] }>('/v1/me')).toMatchObject({
      id: '5b0c6f1e-ivan',
      teams: ['payments'],
    });
    expect(
      (
        await fetch(`${runtime.url}/local/slack/users`, {
          method: 'POST',
          body: JSON.stringify({ id: 'UIVAN', email: 'Ivan@acme.test', name: 'ivan' }),
        })
      ).status,
    ).toBe(200);
    await publish({ tag: 'v9.5.0', author: 'alice' });
    const approvalId = approvalOf(await awaitingApproval('orders-api', 'v9.5.0'));
    expect(await click('UIVAN', approvalId)).toContain('APPROVED');
    const deployment = await portal.waitFor('orders-api', 'prod', 'v9.5.0');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.approvals[0]?.votes).toEqual([
      expect.objectContaining({ voter: '5b0c6f1e-ivan', decision: 'APPROVE' }),
    ]);
    expect((await portal.get<{ slackUserId: string }>('/v1/people/5b0c6f1e-ivan')).slackUserId).toBe('UIVAN');
  });

  it('lets platform-team link a GitHub login by hand, and nobody else', async () => {
    const erin = portalClient(runtime, await runtime.issuer.sign({ sub: 'erin' }));
    expect(
      (await erin.request('PUT', '/v1/people/judy', { github: { login: 'judy-gh' }, teams: ['payments'] })).status,
    ).toBe(403);
    const response = await portal.request('PUT', '/v1/people/judy', {
      github: { login: 'judy-gh' },
      teams: ['payments'],
    });
    expect(response.status).toBe(200);
    expect((await portal.request('PUT', '/v1/people/mallory', { github: { login: 'JUDY-GH' } })).status).toBe(409);
    expect(
      (await github('pull_request', pullRequestPayload(labelled({ number: 91, headSha: sha(91), sender: 'Judy-GH' }))))
        .body,
    ).toMatchObject({ status: 'accepted' });
    expect((await portal.waitFor('orders-api', 'hml', sha(91).slice(0, 7))).status).toBe('SUCCEEDED');
  });
});

describe('people set by hand', () => {
  it.each([
    ['a space and a mention', 'kim @acme/payments'],
    ['a name Flightplan acts under', 'flightplan'],
  ])('refuses a person id with %s, which no token could have as its subject, and stores nothing', async (_what, id) => {
    const response = await portal.request('PUT', `/v1/people/${encodeURIComponent(id)}`, { teams: ['payments'] });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect((await portal.request('GET', `/v1/people/${encodeURIComponent(id)}`)).status).toBe(404);
  });
});

describe('deploy-hml from forks and outsiders (issue 15)', () => {
  it("does not deploy when erin (storefront) labels payments' pull request", async () => {
    const delivery = await github(
      'pull_request',
      pullRequestPayload(labelled({ number: 92, headSha: sha(92), sender: 'erin' })),
    );
    expect(delivery.body).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining('erin is neither in payments nor in platform-team') as string,
    });
    expect(
      (await portal.list('orders-api', 'hml')).some((deployment) => deployment.version === sha(92).slice(0, 7)),
    ).toBe(false);
  });

  it("does not redeploy when a fork's author pushes after a member labelled it", async () => {
    const fork = {
      number: 93,
      author: 'mallory',
      fork: 'mallory/orders-api',
      authorAssociation: 'CONTRIBUTOR',
    } as const;
    expect(
      (await github('pull_request', pullRequestPayload(labelled({ ...fork, headSha: sha(93), sender: 'bob' })))).body,
    ).toMatchObject({ status: 'accepted' });
    expect((await portal.waitFor('orders-api', 'hml', sha(93).slice(0, 7))).status).toBe('SUCCEEDED');
    const push = await github(
      'pull_request',
      pullRequestPayload(
        labelled({ ...fork, action: 'synchronize', label: undefined, headSha: sha(94), sender: 'mallory' }),
      ),
    );
    expect(push.body).toMatchObject({
      status: 'ignored',
      reason: expect.stringContaining('until a member of the owning team labels it') as string,
    });
    expect(
      (await portal.list('orders-api', 'hml')).some((deployment) => deployment.version === sha(94).slice(0, 7)),
    ).toBe(false);
  });
});

describe('existing services onboarded from catalog-info.yaml', () => {
  const commitTo = (repository: string, files: Record<string, string | null>, author: string) =>
    fetch(`${runtime.url}/local/github/repositories/${repository}/commits`, {
      method: 'POST',
      body: JSON.stringify({ files, message: 'catalog', author }),
    });
  const commit = (files: Record<string, string | null>, author = 'alice') => commitTo('acme/ledger-api', files, author);

  it('deploys an existing repository on deploy-hml once its catalog-info.yaml is pushed, and retires it when the file goes', async () => {
    expect((await commit({ 'README.md': '# ledger-api\n' })).status).toBe(200);
    expect(
      (
        await github(
          'pull_request',
          pullRequestPayload(labelled({ repository: 'acme/ledger-api', number: 1, headSha: sha(201) })),
        )
      ).body,
    ).toMatchObject({ status: 'ignored' });

    expect(
      (
        await commit({
          'catalog-info.yaml': catalogInfoYaml({
            repository: 'acme/ledger-api',
            name: 'ledger-api',
            team: 'payments',
            tier: 'T3',
            slackChannel: '#ledger',
          }),
        })
      ).status,
    ).toBe(200);
    await runtime.bus.idle();
    expect(
      await portal.get<{ status: string; team: string; slackChannel: string }>('/v1/services/ledger-api'),
    ).toMatchObject({ status: 'ACTIVE', team: 'payments', tier: 'T3', slackChannel: '#ledger' });
    expect(
      (
        await github(
          'pull_request',
          pullRequestPayload(labelled({ repository: 'acme/ledger-api', number: 1, headSha: sha(202) })),
        )
      ).body,
    ).toMatchObject({ status: 'accepted' });
    expect((await portal.waitFor('ledger-api', 'hml', sha(202).slice(0, 7))).status).toBe('SUCCEEDED');

    expect((await commit({ 'catalog-info.yaml': null })).status).toBe(200);
    await runtime.bus.idle();
    const retired = await portal.get<{ status: string; events: { action: string }[] }>('/v1/services/ledger-api');
    expect(retired.status).toBe('INACTIVE');
    expect(retired.events.map((event) => event.action)).toEqual(['service.onboarded', 'service.deactivated']);
    expect(
      (
        await github(
          'pull_request',
          pullRequestPayload(labelled({ repository: 'acme/ledger-api', number: 1, headSha: sha(203) })),
        )
      ).body,
    ).toMatchObject({ status: 'ignored' });
  });

  it("refuses a catalog-info.yaml that claims another repository's service", async () => {
    const component = { repository: 'acme/impostor', name: 'orders-api', team: 'storefront', tier: 'T3' } as const;
    const response = await commitTo('acme/impostor', { 'catalog-info.yaml': catalogInfoYaml(component) }, 'erin');
    expect(response.status).toBe(200);
    await runtime.bus.idle();
    const service = await portal.get<{
      repository: string;
      team: string;
      events: { action: string; message: string }[];
    }>('/v1/services/orders-api');
    expect(service).toMatchObject({ repository: 'acme/orders-api', team: 'payments' });
    expect(service.events.at(-1)).toMatchObject({ action: 'service.catalog-refused' });
  });

  /** A push by erin (storefront) to payments' orders-api repository, and what it must leave: payments' active service, with the refusal on its record. */
  const expectErinRefused = async (files: Record<string, string | null>) => {
    expect((await commitTo('acme/orders-api', files, 'erin')).status).toBe(200);
    await runtime.bus.idle();
    const service = await portal.get<{ status: string; team: string; events: { action: string; message: string }[] }>(
      '/v1/services/orders-api',
    );
    expect(service).toMatchObject({ status: 'ACTIVE', team: 'payments' });
    expect(service.events.at(-1)).toMatchObject({
      action: 'service.catalog-refused',
      message: expect.stringContaining('erin is neither in payments nor in platform-team') as string,
    });
  };

  it("refuses a catalog-info.yaml by erin (storefront) that gives payments' service to storefront", async () => {
    const component = { repository: 'acme/orders-api', name: 'orders-api', team: 'storefront', tier: 'T1' } as const;
    await expectErinRefused({ 'catalog-info.yaml': catalogInfoYaml(component) });
  });

  it("refuses a catalog-info.yaml by erin (storefront) that renames payments' service into one of storefront's", async () => {
    const component = { repository: 'acme/orders-api', name: 'erin-api', team: 'storefront', tier: 'T1' } as const;
    await expectErinRefused({ 'catalog-info.yaml': catalogInfoYaml(component) });
    expect((await portal.request('GET', '/v1/services/erin-api')).status).toBe(404);
  });

  it("refuses a catalog-info.yaml by erin (storefront) that points payments' service at another image repository", async () => {
    const component = {
      repository: 'acme/orders-api',
      name: 'orders-api',
      team: 'payments',
      tier: 'T1',
      imageRepository: '210987654321.dkr.ecr.us-east-1.amazonaws.com/orders-api',
    } as const;
    await expectErinRefused({ 'catalog-info.yaml': catalogInfoYaml(component) });
    expect((await portal.get<{ imageRepository: string }>('/v1/services/orders-api')).imageRepository).not.toBe(
      component.imageRepository,
    );
  });

  it("refuses erin's (storefront) removal of the catalog-info.yaml of payments' service", async () => {
    await expectErinRefused({ 'catalog-info.yaml': null });
  });

  it('lets platform-team register and retire a service by hand', async () => {
    const body = {
      repository: 'acme/billing-api',
      team: 'payments',
      tier: 'T2',
      imageRepository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/billing-api',
    };
    const alice = portalClient(runtime, await runtime.issuer.sign({ sub: 'alice' }));
    expect((await alice.request('PUT', '/v1/services/billing-api', body)).status).toBe(403);
    expect((await portal.request('PUT', '/v1/services/billing-api', body)).status).toBe(200);
    expect((await portal.request('DELETE', '/v1/services/billing-api')).status).toBe(200);
    expect((await portal.get<{ status: string }>('/v1/services/billing-api')).status).toBe('INACTIVE');
  });
});

describe('reads scoped to the caller’s teams', () => {
  it('shows storefront nothing of payments, payments its own, and platform-team everything', async () => {
    const delivery = await github('pull_request', pullRequestPayload(labelled({ number: 95, headSha: sha(95) })));
    expect(delivery.status).toBe(202);
    const deployment = await portal.waitFor('orders-api', 'hml', sha(95).slice(0, 7));
    const erin = portalClient(runtime, await runtime.issuer.sign({ sub: 'erin' }));
    const alice = portalClient(runtime, await runtime.issuer.sign({ sub: 'alice' }));
    const forbidden = async (path: string) => {
      const response = await erin.request('GET', path);
      expect(response.status, path).toBe(403);
      expect(((await response.json()) as { type: string; detail: string }).type).toBe(
        'https://flightplan.dev/problems/forbidden',
      );
    };
    await forbidden(`/v1/deployments/${deployment.id}`);
    await forbidden(`/v1/deployments/${deployment.id}/execution`);
    await forbidden('/v1/deployments?service=orders-api');
    await forbidden('/v1/services/orders-api');
    await forbidden('/v1/services/orders-api/live');
    await forbidden('/v1/services?team=payments');
    await forbidden('/v1/provisioning-requests?service=orders-api');

    const services = await erin.get<{ items: { name: string; team: string }[] }>('/v1/services?limit=100');
    expect(services.items.map((service) => service.team)).not.toContain('payments');
    expect(services.items.map((service) => service.name)).toContain('catalog-web');
    const deployments = await erin.get<{ items: { service: string }[] }>('/v1/deployments?limit=100');
    expect(deployments.items.map((item) => item.service)).not.toContain('orders-api');

    expect((await alice.request('GET', `/v1/deployments/${deployment.id}`)).status).toBe(200);
    const everything = await portal.get<{ items: { name: string }[] }>('/v1/services?limit=100');
    expect(everything.items.map((service) => service.name)).toEqual(
      expect.arrayContaining(['orders-api', 'catalog-web']),
    );
  });
});
