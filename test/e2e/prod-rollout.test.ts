import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { portalClient, slackMessageFor, startTestRuntime, type DeploymentView } from '../support/local-runtime.js';

const SECRET = 'local-github-secret';
let runtime: LocalRuntime;
let stop: () => Promise<void>;
let portal: ReturnType<typeof portalClient>;

const live = (region: string) => runtime.gitops.readImageDigest({ service: 'orders-api', environment: 'prod', region });

async function publish(tag: string, deliveryId: string = randomUUID()): Promise<Response> {
  const delivery = await signedDelivery(
    SECRET,
    'release',
    releasePayload({ repository: 'acme/orders-api', tag, author: 'alice' }),
    deliveryId,
  );
  return fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
}

/** alice publishes; bob (payments, not the author) approves from the portal once it asks. */
async function release(tag: string): Promise<Response> {
  const response = await publish(tag);
  const waiting = await waitFor(
    tag,
    (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
  );
  const vote = await portal.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, {
    decision: 'APPROVE',
    comment: 'looks good',
  });
  expect(vote.status).toBe(200);
  return response;
}

const waitFor = (version: string, until?: (deployment: DeploymentView) => boolean) =>
  portal.waitFor('orders-api', 'prod', version, until);
const wave = (deployment: DeploymentView, region: string) =>
  deployment.waves.find((candidate) => candidate.region === region);
const simHealth = (region: string, health: Record<string, unknown>) =>
  fetch(`${runtime.url}/local/sim/health`, {
    method: 'POST',
    body: JSON.stringify({ service: 'orders-api', environment: 'prod', region, healthy: true, ...health }),
  });
const simAlarm = (region: string, state: 'ALARM' | 'OK') =>
  fetch(`${runtime.url}/local/sim/alarm`, {
    method: 'POST',
    body: JSON.stringify({ service: 'orders-api', region, state }),
  });

const statesOf = (deployment: DeploymentView) =>
  runtime.workflows
    .statesVisited(runtime.workflows.list().find((execution) => execution.name === deployment.id)?.executionArn ?? '')
    .map((visit) => visit.name);

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  portal = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
});

afterAll(async () => {
  await stop();
});

describe('production rollout over HTTP', () => {
  it('HappyPath: us-east-1, health gate, 30-minute bake, then sa-east-1, with the plan visible before anything runs', async () => {
    expect((await release('v1.0.0')).status).toBe(202);
    const planned = await waitFor('v1.0.0', () => true);
    expect(planned.waves.map(({ region, bakeSeconds }) => ({ region, bakeSeconds }))).toEqual([
      { region: 'us-east-1', bakeSeconds: 1800 },
      { region: 'sa-east-1', bakeSeconds: 0 },
    ]);
    const deployment = await waitFor('v1.0.0');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.waves.map((item) => item.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(Date.parse(wave(deployment, 'sa-east-1')?.startedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(wave(deployment, 'us-east-1')?.endedAt ?? ''),
    );
    expect(await live('us-east-1')).toBe(deployment.digest);
    expect(await live('sa-east-1')).toBe(deployment.digest);
    const states = statesOf(deployment);
    expect(states.filter((state) => state === 'Bake')).toHaveLength(1);
    expect(states).toContain('Check health after bake');
    expect(deployment.events.map((event) => event.action)).toContain('wave.baked');

    await runtime.bus.idle();
    const slack = (await (await fetch(`${runtime.url}/local/slack/messages?channel=%23deploys-payments`)).json()) as {
      items: { text: string }[];
    };
    const texts = slack.items.map((message) => message.text).filter((text) => text.includes('v1.0.0'));
    expect(texts.some((text) => text.includes('Took the prod lock'))).toBe(true);
    expect(texts.some((text) => text.includes('us-east-1 baked for 30 min'))).toBe(true);
    expect(texts.some((text) => text.includes('sa-east-1 passed its health gate'))).toBe(true);
    expect(texts.some((text) => text.includes('is live in prod'))).toBe(true);
    const statuses = (environment: string) =>
      runtime.github.deployments
        .find((item) => item.ref === 'v1.0.0' && item.environment === environment)
        ?.statuses.map((status) => status.state);
    expect(statuses('prod-us-east-1')).toEqual(['in_progress', 'success']);
    expect(statuses('prod-sa-east-1')).toEqual(['in_progress', 'success']);
  });

  it('GateFailsInSaEast1: both regions go back to the previous digest and the version is marked bad', async () => {
    const before = await live('us-east-1');
    await simHealth('sa-east-1', { p99Ms: 412 });
    await release('v1.1.0');
    const deployment = await waitFor('v1.1.0');
    await simHealth('sa-east-1', {});
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toContain('sa-east-1: p99 412 ms > 100 ms for T1');
    expect(deployment.waves.map((item) => item.status)).toEqual(['ROLLED_BACK', 'ROLLED_BACK']);
    expect(await live('us-east-1')).toBe(before);
    expect(await live('sa-east-1')).toBe(before);
    const rollbacks = deployment.events
      .filter((event) => event.action === 'wave.rolled-back')
      .map((event) => event.region);
    expect(rollbacks).toEqual(['sa-east-1', 'us-east-1']);
    await runtime.bus.idle();
    expect(
      runtime.github.deployments
        .find((item) => item.ref === 'v1.1.0' && item.environment === 'prod-sa-east-1')
        ?.statuses.map((status) => status.state),
    ).toEqual(['in_progress', 'failure', 'inactive']);
    expect(runtime.chat.messages.some((message) => message.text.includes('Rolled back: sa-east-1: p99 412 ms'))).toBe(
      true,
    );

    const refused = await portal.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'prod',
      version: 'v1.1.0',
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { type: string }).type).toBe('https://flightplan.dev/problems/conflict');
  });

  it('AlarmDuringBake: the alarm, not the bake timer, rolls the wave back, and sa-east-1 is never touched', async () => {
    const saEastBefore = await live('sa-east-1');
    await release('v1.2.0');
    await waitFor('v1.2.0', (deployment) => wave(deployment, 'us-east-1')?.status === 'BAKING');
    let deployment: DeploymentView;
    try {
      await simAlarm('us-east-1', 'ALARM');
      deployment = await waitFor('v1.2.0');
    } finally {
      await simAlarm('us-east-1', 'OK');
    }
    expect(deployment.status).toBe('ROLLED_BACK');
    // Either the watcher saw the alarm fire, or the bake saw it already firing when it started.
    expect(deployment.reason).toMatch(/alarm orders-api-prod-us-east-1-simulated (went to|is in) ALARM/u);
    // The alarm ended the bake: it never reached its end (how fast is bench/'s alarm-to-rollback measure).
    const actions = deployment.events.map((event) => event.action);
    expect(actions).toContain('wave.rolling-back');
    expect(actions).not.toContain('wave.baked');
    expect(statesOf(deployment)).not.toContain('Check health after bake');
    expect(
      wave(deployment, 'sa-east-1'),
      JSON.stringify(deployment.events.map((event) => event.message)),
    ).toMatchObject({ status: 'SKIPPED', digestAfter: null });
    expect(await live('sa-east-1')).toBe(saEastBefore);
  });

  it('queues a second release behind the first and runs it after, first in first out', async () => {
    await release('v1.3.0');
    await waitFor('v1.3.0', (deployment) => deployment.status === 'IN_PROGRESS');
    await publish('v1.4.0');
    const queued = await waitFor('v1.4.0', () => true);
    expect(queued.status).toBe('QUEUED');
    await waitFor('v1.3.0');
    const waiting = await waitFor(
      'v1.4.0',
      (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
    );
    expect(
      (await portal.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
    const first = await waitFor('v1.3.0');
    const second = await waitFor('v1.4.0');
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const secondStarted = second.events.find((event) => event.action === 'deployment.started')?.at ?? '';
    expect(Date.parse(secondStarted)).toBeGreaterThanOrEqual(Date.parse(first.events.at(-1)?.at ?? ''));
    expect(await live('sa-east-1')).toBe(second.digest);
  });

  it('starts one deployment for a release delivered twice', async () => {
    const [first, second] = await Promise.all([publish('v1.5.0'), publish('v1.5.0')]);
    expect([first.status, second.status]).toEqual([202, 202]);
    const waiting = await waitFor(
      'v1.5.0',
      (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
    );
    expect(
      (await portal.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
    await waitFor('v1.5.0');
    expect((await portal.list('orders-api', 'prod')).filter((item) => item.version === 'v1.5.0')).toHaveLength(1);
  });

  it('aborts mid-bake: us-east-1 is restored, sa-east-1 never touched, the deployment ends ABORTED', async () => {
    const before = await live('us-east-1');
    await release('v1.6.0');
    const baking = await waitFor('v1.6.0', (deployment) => wave(deployment, 'us-east-1')?.status === 'BAKING');

    const outsider = portalClient(runtime, await runtime.issuer.sign({ sub: 'erin' }));
    expect((await outsider.request('POST', `/v1/deployments/${baking.id}/abort`)).status).toBe(403);

    const response = await portal.request('POST', `/v1/deployments/${baking.id}/abort`);
    expect(response.status).toBe(202);
    const deployment = await waitFor('v1.6.0');
    expect(deployment.status).toBe('ABORTED');
    expect(deployment.abortRequestedBy).toBe('bob');
    expect(wave(deployment, 'us-east-1')?.status).toBe('ROLLED_BACK');
    expect(wave(deployment, 'sa-east-1')?.status).toBe('SKIPPED');
    expect(await live('us-east-1')).toBe(before);
    expect((await portal.request('POST', `/v1/deployments/${baking.id}/abort`)).status).toBe(409);
  });

  it('rolls back to a known-good version from the portal: no bake, health gates kept', async () => {
    const response = await portal.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'prod',
      version: 'v1.0.0',
      mode: 'rollback',
    });
    expect(response.status).toBe(202);
    const { deploymentId } = (await response.json()) as { deploymentId: string };
    const deployment = await portal.waitFor(
      'orders-api',
      'prod',
      'v1.0.0',
      (item) => item.id === deploymentId && ['SUCCEEDED', 'FAILED', 'ROLLED_BACK'].includes(item.status),
    );
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.waves.map((item) => item.bakeSeconds)).toEqual([0, 0]);
    expect(statesOf(deployment)).not.toContain('Bake');
    expect(statesOf(deployment).filter((state) => state === 'Health gate')).toHaveLength(2);
  });

  it('deploys a rolled-back version again only with an override and its approval, recorded in the audit trail', async () => {
    // Never a rollback: v1.1.0 never SUCCEEDED, so it is a standard deploy with its approval.
    const response = await portal.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'prod',
      version: 'v1.1.0',
      override: { reason: 'the p99 regression was a load-test artefact' },
    });
    expect(response.status).toBe(202);
    const { deploymentId } = (await response.json()) as { deploymentId: string };
    const waiting = await portal.waitFor(
      'orders-api',
      'prod',
      'v1.1.0',
      (item) => item.id === deploymentId && item.status === 'AWAITING_APPROVAL' && item.approvals.length > 0,
    );
    const alice = portalClient(runtime, await runtime.issuer.sign({ sub: 'alice' }));
    expect(
      (await alice.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
    const deployment = await portal.waitFor(
      'orders-api',
      'prod',
      'v1.1.0',
      (item) => item.id === deploymentId && item.status === 'SUCCEEDED',
    );
    expect(deployment.events[0]?.message).toContain('override by bob: the p99 regression was a load-test artefact');
  });

  it('holds sa-east-1 during its freeze window (local time) and continues when it ends', async () => {
    runtime.deps.freezeWindows.push({
      name: 'weekend in Brazil',
      regions: ['sa-east-1'],
      timeZone: 'America/Sao_Paulo',
      days: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
      from: '00:00',
      to: '24:00',
    });
    try {
      await release('v1.7.0');
      const blocked = await waitFor('v1.7.0', (deployment) => wave(deployment, 'sa-east-1')?.status === 'BLOCKED');
      expect(wave(blocked, 'us-east-1')?.status).toBe('SUCCEEDED');
      expect(wave(blocked, 'sa-east-1')?.reason).toContain('freeze window "weekend in Brazil"');
    } finally {
      runtime.deps.freezeWindows.length = 0;
    }
    const deployment = await waitFor('v1.7.0');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.events.filter((event) => event.action === 'wave.blocked')).toHaveLength(1);
  });

  it('lets platform-team, and only platform-team, deploy through a freeze with an override', async () => {
    runtime.deps.freezeWindows.push({
      name: 'change freeze',
      regions: ['*'],
      timeZone: 'UTC',
      days: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
      from: '00:00',
      to: '24:00',
    });
    try {
      const carol = portalClient(runtime, await runtime.issuer.sign({ sub: 'carol' }));
      const response = await carol.request('POST', '/v1/deployments', {
        service: 'orders-api',
        environment: 'prod',
        version: 'v1.0.0',
        mode: 'rollback',
        override: { reason: 'incident INC-42: back to the last good build' },
      });
      const { deploymentId } = (await response.json()) as { deploymentId: string };
      const deployment = await portal.waitFor(
        'orders-api',
        'prod',
        'v1.0.0',
        (item) => item.id === deploymentId && ['SUCCEEDED', 'FAILED'].includes(item.status),
      );
      expect(deployment.status).toBe('SUCCEEDED');

      const byTeam = await portal.request('POST', '/v1/deployments', {
        service: 'orders-api',
        environment: 'prod',
        version: 'v1.0.0',
        mode: 'rollback',
        override: { reason: 'we would like to skip the freeze please' },
      });
      const { deploymentId: teamDeploymentId } = (await byTeam.json()) as { deploymentId: string };
      const held = await portal.waitFor(
        'orders-api',
        'prod',
        'v1.0.0',
        (item) => item.id === teamDeploymentId && item.waves[0]?.status === 'BLOCKED',
      );
      expect(held.waves[0]?.reason).toContain('unless platform-team overrides');
      expect((await portal.request('POST', `/v1/deployments/${teamDeploymentId}/abort`)).status).toBe(202);
      await portal.waitFor(
        'orders-api',
        'prod',
        'v1.0.0',
        (item) => item.id === teamDeploymentId && item.status === 'ABORTED',
      );
    } finally {
      runtime.deps.freezeWindows.length = 0;
    }
  });

  it.each([
    ['continues when the team says so', 'v1.8.0', 'APPROVE', 'SUCCEEDED'],
    ['rolls back when the team says so', 'v1.8.1', 'REJECT', 'ROLLED_BACK'],
  ])(
    'asks a human after an inconclusive bake (too little traffic) and %s',
    async (_name, version, decision, status) => {
      await simHealth('us-east-1', { requestCount: 12 });
      try {
        await release(version);
        const asking = await waitFor(version, (deployment) =>
          deployment.events.some((event) => event.action === 'wave.bake-inconclusive'),
        );
        expect(wave(asking, 'us-east-1')).toMatchObject({
          status: 'BAKING',
          reason: expect.stringContaining('only 12 requests during the bake, 1000 needed for T1'),
        });
        const questionId = `${asking.id}.bake-us-east-1`;
        const question = await slackMessageFor(runtime, questionId);
        expect(JSON.stringify(question.blocks)).toContain('"text":"Roll back"');
        const carol = portalClient(runtime, await runtime.issuer.sign({ sub: 'carol' }));
        expect(
          (await carol.request('POST', `/v1/approvals/${encodeURIComponent(questionId)}/votes`, { decision })).status,
        ).toBe(200);
      } finally {
        await simHealth('us-east-1', {});
      }
      const deployment = await waitFor(version);
      expect(deployment.status).toBe(status);
      if (status === 'ROLLED_BACK') expect(deployment.reason).toContain('inconclusive bake');
    },
  );

  it('refuses portal deploys from people outside the owning team and platform-team', async () => {
    const outsider = portalClient(runtime, await runtime.issuer.sign({ sub: 'erin' }));
    const response = await outsider.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'prod',
      version: 'v1.0.0',
    });
    expect(response.status).toBe(403);
    const platform = portalClient(runtime, await runtime.issuer.sign({ sub: 'carol' }));
    const invalid = await platform.request('POST', '/v1/deployments', {
      service: 'orders-api',
      environment: 'staging',
      version: 'v1.0.0',
    });
    expect(invalid.status).toBe(400);
  });
});
