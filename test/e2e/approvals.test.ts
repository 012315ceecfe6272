import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import {
  clickApprovalButton,
  portalClient,
  registerTestService,
  slackMessageFor,
  startTestRuntime,
  type DeploymentView,
} from '../support/local-runtime.js';

const SLACK_SECRET = 'local-slack-secret';
/** payments' own service for these approvals: on a shared twin, no other file's release holds its PROD lock. */
const SERVICE = { repository: 'acme/invoices-api', name: 'invoices-api', team: 'payments', tier: 'T1' } as const;
let runtime: LocalRuntime;
let stop: () => Promise<void>;
let portal: ReturnType<typeof portalClient>;

async function publish(tag: string, author: string): Promise<void> {
  const delivery = await signedDelivery(
    'local-github-secret',
    'release',
    releasePayload({ repository: SERVICE.repository, tag, author }),
    randomUUID(),
  );
  expect(
    (await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body }))
      .status,
  ).toBe(202);
}

const awaitingApproval = (tag: string) =>
  portal.waitFor(
    SERVICE.name,
    'prod',
    tag,
    (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
  );

/** A Slack click: acknowledged at once with an empty 200, then answered by an ephemeral message. */
async function click(
  slackUserId: string,
  actionId: 'approve' | 'reject',
  approvalId: string,
  overrides: { secret?: string; timestamp?: number } = {},
) {
  return clickApprovalButton(runtime, { slackUserId, actionId, approvalId, ...overrides });
}

/** The answer the clicker sees, once the vote was counted. */
const answered = async (slackUserId: string, actionId: 'approve' | 'reject', approvalId: string) => {
  const clicked = await click(slackUserId, actionId, approvalId);
  expect(clicked).toMatchObject({ status: 200, body: '' });
  return clicked.answer();
};

const approvalOf = (deployment: DeploymentView) => deployment.approvals[0]?.id ?? '';

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  await registerTestService(runtime, SERVICE);
  portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
});

afterAll(async () => {
  await stop();
});

describe('approvals over Slack and the portal', () => {
  it('posts a Block Kit message with buttons that carry the approval id, and approves from Slack', async () => {
    await publish('v3.0.0', 'alice');
    const waiting = await awaitingApproval('v3.0.0');
    const approvalId = approvalOf(waiting);
    const message = await slackMessageFor(runtime, approvalId);
    expect(message.channel).toBe('#deploys-payments');
    const buttons = JSON.stringify(message.blocks);
    expect(buttons).toContain('"action_id":"approve"');
    expect(buttons).not.toMatch(/taskToken|task_token/u);

    expect(await answered('UALICE', 'approve', approvalId)).toContain(
      'alice asked for this change; somebody else must decide',
    );

    expect(await answered('UBOB', 'approve', approvalId)).toContain('APPROVED');
    const deployment = await portal.waitFor(SERVICE.name, 'prod', 'v3.0.0');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.approvals[0]).toMatchObject({
      status: 'APPROVED',
      votes: [{ voter: 'bob', decision: 'APPROVE' }],
    });
    expect(message.history.length).toBeGreaterThan(0);
    expect(JSON.stringify(message.blocks)).not.toContain('"action_id":"approve"');

    expect(await answered('UBOB', 'reject', approvalId)).toContain('already APPROVED');
    const audit = (
      await portal.get<{ events: { action: string }[] }>(`/v1/approvals/${encodeURIComponent(approvalId)}`)
    ).events.map((event) => event.action);
    expect(audit).toEqual(
      expect.arrayContaining([
        'approval.requested',
        'approval.vote-refused.self-approval',
        'approval.approved',
        'approval.vote-refused.closed',
      ]),
    );
  });

  it('decides exactly once when two approvers click in the same second', async () => {
    await publish('v3.1.0', 'carol');
    const approvalId = approvalOf(await awaitingApproval('v3.1.0'));
    const replies = await Promise.all([
      answered('UALICE', 'approve', approvalId),
      answered('UBOB', 'approve', approvalId),
    ]);
    expect(replies.filter((reply) => reply.includes('APPROVED') && reply.startsWith('Thanks'))).toHaveLength(1);
    const deployment = await portal.waitFor(SERVICE.name, 'prod', 'v3.1.0');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.approvals[0]?.votes).toHaveLength(1);
    expect(deployment.events.filter((event) => event.action === 'deployment.approved')).toHaveLength(1);
  });

  it('counts a double click once, and answers both clicks', async () => {
    await publish('v3.1.1', 'alice');
    const approvalId = approvalOf(await awaitingApproval('v3.1.1'));
    const [first, second] = await Promise.all([
      click('UBOB', 'approve', approvalId),
      click('UBOB', 'approve', approvalId),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const replies = [await first.answer(), await first.answer(1)];
    expect(replies.filter((reply) => reply === 'Thanks: the approval is now APPROVED.')).toHaveLength(1);
    expect(replies).toContain('This approval is already APPROVED');
    const deployment = await portal.waitFor(SERVICE.name, 'prod', 'v3.1.1');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.approvals[0]?.votes).toEqual([expect.objectContaining({ voter: 'bob', decision: 'APPROVE' })]);
  });

  it('counts an acknowledged click whose vote counter failed once, when the bus delivers it again', async () => {
    await publish('v3.1.2', 'alice');
    const approvalId = approvalOf(await awaitingApproval('v3.1.2'));
    runtime.faults.addFunctionFault({ function: 'countSlackVote', kind: 'timeout', times: 1 });
    expect(await answered('UBOB', 'approve', approvalId)).toBe('Thanks: the approval is now APPROVED.');
    expect((await portal.waitFor(SERVICE.name, 'prod', 'v3.1.2')).status).toBe('SUCCEEDED');
  });

  it('ends the deployment REJECTED on one rejection, with nothing deployed', async () => {
    const before = await runtime.gitops.readImageDigest({
      service: SERVICE.name,
      environment: 'prod',
      region: 'us-east-1',
    });
    await publish('v3.2.0', 'alice');
    const approvalId = approvalOf(await awaitingApproval('v3.2.0'));
    const response = await portal.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, {
      decision: 'REJECT',
      comment: 'not during the sale',
    });
    expect(response.status).toBe(200);
    const deployment = await portal.waitFor(SERVICE.name, 'prod', 'v3.2.0');
    expect(deployment.status).toBe('REJECTED');
    expect(deployment.reason).toContain('not during the sale');
    expect(deployment.waves.map((wave) => wave.status)).toEqual(['SKIPPED', 'SKIPPED']);
    expect(
      await runtime.gitops.readImageDigest({ service: SERVICE.name, environment: 'prod', region: 'us-east-1' }),
    ).toBe(before);
  });

  it("refuses a vote from another team before reading the approval: nothing written to payments' trail, no requester named", async () => {
    await publish('v3.3.1', 'alice');
    const approvalId = approvalOf(await awaitingApproval('v3.3.1'));
    const erin = portalClient(runtime, await runtime.issuer.sign({ sub: 'erin' }));
    const refused = await erin.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, {
      decision: 'REJECT',
    });
    expect(refused.status).toBe(403);
    const problem = (await refused.json()) as { type: string; detail: string };
    expect(problem.type).toBe('https://flightplan.dev/problems/forbidden');
    expect(problem.detail).not.toContain('alice');
    const approval = await portal.get<{ status: string; events: { actor: string }[] }>(
      `/v1/approvals/${encodeURIComponent(approvalId)}`,
    );
    expect(approval.status).toBe('PENDING');
    expect(approval.events.filter((event) => event.actor === 'erin')).toEqual([]);
    expect(
      (await portal.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
  });

  it('lists what the caller may decide, and refuses the portal votes the policy refuses', async () => {
    await publish('v3.3.0', 'alice');
    const approvalId = approvalOf(await awaitingApproval('v3.3.0'));
    const asBob = await portal.get<{ items: { id: string }[] }>('/v1/approvals?status=PENDING');
    expect(asBob.items.map((item) => item.id)).toContain(approvalId);
    const alice = portalClient(runtime, await runtime.issuer.sign({ sub: 'alice' }));
    expect(
      (await alice.get<{ items: { id: string }[] }>('/v1/approvals?status=PENDING')).items.map((item) => item.id),
    ).not.toContain(approvalId);
    const erin = portalClient(runtime, await runtime.issuer.sign({ sub: 'erin' }));
    const refused = await erin.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, {
      decision: 'APPROVE',
    });
    expect(refused.status).toBe(403);
    expect(
      (await alice.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(403);
    expect(
      (await portal.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, { decision: 'MAYBE' }))
        .status,
    ).toBe(400);
    expect((await portal.request('POST', '/v1/approvals/nope/votes', { decision: 'APPROVE' })).status).toBe(404);
    expect(
      (await portal.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
    expect(
      (await portal.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(409);
    await portal.waitFor(SERVICE.name, 'prod', 'v3.3.0');
  });
});

describe('approvers from Keycloak groups as API Gateway passes them', () => {
  it('does not make platform-team of a group whose name ends in a comma, which the flattened claim splits before its "/"', async () => {
    const mallory = portalClient(
      runtime,
      await runtime.issuer.sign({ sub: 'mallory-comma', groups: ['/payments', '/vendor/x,/platform-team'] }),
    );
    expect((await mallory.get<{ teams: string[] }>('/v1/me')).teams).toEqual(['payments']);
  });
});

describe('aborting a deployment that waits for its approval', () => {
  it('voids the approval and ends the deployment ABORTED without deploying', async () => {
    await publish('v3.4.0', 'alice');
    const waiting = await awaitingApproval('v3.4.0');
    expect((await portal.request('POST', `/v1/deployments/${waiting.id}/abort`)).status).toBe(202);
    const deployment = await portal.waitFor(SERVICE.name, 'prod', 'v3.4.0');
    expect(deployment.status).toBe('ABORTED');
    expect(deployment.approvals[0]?.status).toBe('VOID');
    expect(deployment.waves.map((wave) => wave.status)).toEqual(['SKIPPED', 'SKIPPED']);
    expect(await answered('UBOB', 'approve', approvalOf(waiting))).toContain('already VOID');
  });
});

describe('Slack interactions refuse what Slack did not sign', () => {
  it.each([
    ['a forged signature', { secret: 'not-the-secret' }],
    ['a replayed timestamp', { timestamp: Math.floor(Date.now() / 1000) - 301 }],
  ])('answers 401 to %s and records nothing', async (_name, overrides) => {
    const before = runtime.chat.messages.length;
    const reply = await click('UBOB', 'approve', 'whatever', overrides);
    expect(reply.status).toBe(401);
    expect(runtime.chat.messages.length).toBe(before);
  });

  it('answers 400 to a malformed payload', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = 'payload=%7Bnot-json';
    const { createHmac } = await import('node:crypto');
    const signature = `v0=${createHmac('sha256', SLACK_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const response = await fetch(`${runtime.url}/slack/interactions`, {
      method: 'POST',
      headers: { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature },
      body,
    });
    expect(response.status).toBe(400);
  });

  it('refuses a Slack user who is not in the directory', async () => {
    expect(await answered('UMALLORY', 'approve', 'whatever')).toContain('not in the Flightplan directory');
  });

  it("does not take a Slack Connect guest for the payments member whose email the guest's workspace gave them", async () => {
    const gina = portalClient(
      runtime,
      await runtime.issuer.sign({ sub: 'gina', groups: ['/payments'], email: 'gina@acme.test' }),
    );
    await gina.get('/v1/me');
    // Another organization's workspace, met in a shared channel, whose administrators set the email.
    const joined = await fetch(`${runtime.url}/local/slack/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'UGUEST', email: 'gina@acme.test', name: 'gina', teamId: 'TPARTNER' }),
    });
    expect(joined.status).toBe(200);
    await publish('v3.9.1', 'alice');
    const approvalId = approvalOf(await awaitingApproval('v3.9.1'));
    expect(await answered('UGUEST', 'approve', approvalId)).toContain('belongs to another Slack workspace');
    const approval = `/v1/approvals/${encodeURIComponent(approvalId)}`;
    expect(await portal.get<{ status: string; votes: unknown[] }>(approval)).toMatchObject({
      status: 'PENDING',
      votes: [],
    });
    expect(await gina.get<{ slackUserId?: string }>('/v1/me')).not.toHaveProperty('slackUserId');
    // A link made before Flightplan checked the workspace, or by hand, does not let the guest in either.
    const platform = portalClient(runtime, await runtime.issuer.sign({ sub: 'dave' }));
    expect((await platform.request('PUT', '/v1/people/gina', { slackUserId: 'UGUEST' })).status).toBe(200);
    expect(await answered('UGUEST', 'approve', approvalId)).toContain('belongs to another Slack workspace');
    expect(await portal.get<{ status: string }>(approval)).toMatchObject({ status: 'PENDING' });
    expect((await portal.request('POST', `${approval}/votes`, { decision: 'REJECT' })).status).toBe(200);
    expect((await portal.waitFor(SERVICE.name, 'prod', 'v3.9.1')).status).toBe('REJECTED');
  });
});
