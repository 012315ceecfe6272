import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEFAULTS } from '../../functions/config.js';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import {
  portalClient,
  registerTestService,
  RUNTIME_KIND,
  slackMessageFor,
  startTestRuntime,
  type DeploymentView,
} from '../support/local-runtime.js';

const SECRET = 'local-github-secret';
let runtime: LocalRuntime;
let stop: () => Promise<void>;
let portal: ReturnType<typeof portalClient>;

/**
 * Most scenarios here follow one another on the demo's orders-api. AlarmDuringBake and the queue
 * have services of their own (payments', like orders-api): their PROD locks, known-good versions
 * and queues are theirs, so each passes alone and beside the others.
 */
const ORDERS = 'orders-api';
const ALARMED = { repository: 'acme/alarmed-api', name: 'alarmed-api', team: 'payments', tier: 'T1' } as const;
const QUEUED = { repository: 'acme/queued-api', name: 'queued-api', team: 'payments', tier: 'T1' } as const;

/**
 * On the twin, HappyPath, AlarmDuringBake and the queue run side by side: on their own services
 * they share nothing, and most of their time is bakes (36 s each at 50x) the machine spends
 * idle. On the local runtime they run one after another with the rest of the file.
 */
const sideBySide = RUNTIME_KIND === 'twin' ? it.concurrent : it;

const live = (region: string, service = ORDERS) =>
  runtime.gitops.readImageDigest({ service, environment: 'prod', region });

async function publish(tag: string, deliveryId: string = randomUUID(), service = ORDERS): Promise<Response> {
  const delivery = await signedDelivery(
    SECRET,
    'release',
    releasePayload({ repository: `acme/${service}`, tag, author: 'alice' }),
    deliveryId,
  );
  return fetch(`${runtime.url}/webhooks/github`, { method: 'POST', headers: delivery.headers, body: delivery.body });
}

/** alice publishes; bob (payments, not the author) approves from the portal once it asks. */
async function release(tag: string, service = ORDERS): Promise<Response> {
  const response = await publish(tag, randomUUID(), service);
  const waiting = await waitFor(
    tag,
    (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
    service,
  );
  const vote = await portal.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, {
    decision: 'APPROVE',
    comment: 'looks good',
  });
  expect(vote.status).toBe(200);
  return response;
}

const waitFor = (version: string, until?: (deployment: DeploymentView) => boolean, service = ORDERS) =>
  portal.waitFor(service, 'prod', version, until);
const wave = (deployment: DeploymentView, region: string) =>
  deployment.waves.find((candidate) => candidate.region === region);
const simHealth = (region: string, health: Record<string, unknown>) =>
  fetch(`${runtime.url}/local/sim/health`, {
    method: 'POST',
    body: JSON.stringify({ service: ORDERS, environment: 'prod', region, healthy: true, ...health }),
  });
const simAlarm = (service: string, region: string, state: 'ALARM' | 'OK') =>
  fetch(`${runtime.url}/local/sim/alarm`, {
    method: 'POST',
    body: JSON.stringify({ service, region, state }),
  });

/**
 * What a service ran in prod before this test's release, committed to its GitOps manifests as
 * Argo CD sees them: the digest a rollback restores, without a release (and its 30-minute bake)
 * of its own first.
 */
async function alreadyRunning(service: string, digest: string): Promise<void> {
  for (const region of ['us-east-1', 'sa-east-1'])
    await runtime.gitops.commitImageDigest({
      service,
      environment: 'prod',
      region,
      imageRepository: `${LOCAL_DEFAULTS.imageRegistry}/${service}`,
      digest,
      message: `${service} runs ${digest} in prod/${region}`,
    });
}

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
  sideBySide(
    'HappyPath: us-east-1, health gate, 30-minute bake, then sa-east-1, with the plan visible before anything runs',
    async () => {
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
    },
  );

  sideBySide(
    'AlarmDuringBake: the alarm, not the bake timer, rolls the wave back, and sa-east-1 is never touched',
    async () => {
      await registerTestService(runtime, ALARMED);
      const knownGood = `sha256:${'6'.repeat(64)}`;
      await alreadyRunning(ALARMED.name, knownGood);
      await release('v1.2.0', ALARMED.name);
      await waitFor('v1.2.0', (deployment) => wave(deployment, 'us-east-1')?.status === 'BAKING', ALARMED.name);
      let deployment: DeploymentView;
      try {
        await simAlarm(ALARMED.name, 'us-east-1', 'ALARM');
        deployment = await waitFor('v1.2.0', undefined, ALARMED.name);
      } finally {
        await simAlarm(ALARMED.name, 'us-east-1', 'OK');
      }
      expect(deployment.status, deployment.reason ?? '').toBe('ROLLED_BACK');
      // Either the watcher saw the alarm fire, or the bake saw it already firing when it started.
      expect(deployment.reason).toMatch(/alarm alarmed-api-prod-us-east-1-simulated (went to|is in) ALARM/u);
      // The alarm ended the bake: it never reached its end (how fast is bench/'s alarm-to-rollback measure).
      const actions = deployment.events.map((event) => event.action);
      expect(actions).toContain('wave.rolling-back');
      expect(actions).not.toContain('wave.baked');
      expect(statesOf(deployment)).not.toContain('Check health after bake');
      expect(wave(deployment, 'us-east-1')).toMatchObject({ status: 'ROLLED_BACK', digestBefore: knownGood });
      expect(await live('us-east-1', ALARMED.name)).toBe(knownGood);
      expect(
        wave(deployment, 'sa-east-1'),
        JSON.stringify(deployment.events.map((event) => event.message)),
      ).toMatchObject({ status: 'SKIPPED', digestAfter: null });
      expect(await live('sa-east-1', ALARMED.name)).toBe(knownGood);
    },
  );

  sideBySide('queues a second release behind the first and runs it after, first in first out', async () => {
    await registerTestService(runtime, QUEUED);
    const service = QUEUED.name;
    await release('v1.3.0', service);
    await waitFor('v1.3.0', (deployment) => deployment.status === 'IN_PROGRESS', service);
    await publish('v1.4.0', randomUUID(), service);
    const queued = await waitFor('v1.4.0', () => true, service);
    expect(queued.status).toBe('QUEUED');
    await waitFor('v1.3.0', undefined, service);
    const waiting = await waitFor(
      'v1.4.0',
      (deployment) => deployment.status === 'AWAITING_APPROVAL' && deployment.approvals.length > 0,
      service,
    );
    expect(
      (await portal.request('POST', `/v1/approvals/${waiting.approvals[0]?.id ?? ''}/votes`, { decision: 'APPROVE' }))
        .status,
    ).toBe(200);
    const first = await waitFor('v1.3.0', undefined, service);
    const second = await waitFor('v1.4.0', undefined, service);
    expect([first.status, second.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const secondStarted = second.events.find((event) => event.action === 'deployment.started')?.at ?? '';
    expect(Date.parse(secondStarted)).toBeGreaterThanOrEqual(Date.parse(first.events.at(-1)?.at ?? ''));
    expect(await live('sa-east-1', service)).toBe(second.digest);
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

  it('voids the question of an inconclusive bake when the deployment is aborted, so nobody can continue it', async () => {
    const version = 'v1.8.2';
    await simHealth('us-east-1', { requestCount: 12 });
    let questionId = '';
    try {
      await release(version);
      const asking = await waitFor(version, (deployment) =>
        deployment.events.some((event) => event.action === 'wave.bake-inconclusive'),
      );
      questionId = `${asking.id}.bake-us-east-1`;
      await slackMessageFor(runtime, questionId);
      expect((await portal.request('POST', `/v1/deployments/${asking.id}/abort`)).status).toBe(202);
    } finally {
      await simHealth('us-east-1', {});
    }
    const question = `/v1/approvals/${encodeURIComponent(questionId)}`;
    expect((await portal.get<{ status: string }>(question)).status).toBe('VOID');
    const carol = portalClient(runtime, await runtime.issuer.sign({ sub: 'carol' }));
    expect((await carol.request('POST', `${question}/votes`, { decision: 'APPROVE' })).status).toBe(409);
    const deployment = await waitFor(version);
    expect(deployment.status).toBe('ABORTED');
    expect(deployment.events.map((event) => event.action)).not.toContain('wave.baked');
  });

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
