import { describe, expect, it } from 'vitest';
import { approvalTermsFor, missingApprovers } from '../../functions/domain/approval.js';
import type { Person, Requester } from '../../functions/domain/identity.js';
import { freezeEndsAt, planDeployment } from '../../functions/domain/deployment-plan.js';
import { releaseBlockedWave, type Deployment, type Wave } from '../../functions/domain/deployment.js';
import type { FreezeWindow } from '../../functions/domain/freeze-window.js';
import { liveVersions } from '../../functions/domain/live-versions.js';
import { manualDeployment } from '../support/deployments.js';

const ALL_DAYS: FreezeWindow['days'] = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const saturdayInBrazil: FreezeWindow = {
  name: 'saturday',
  regions: ['sa-east-1'],
  timeZone: 'America/Sao_Paulo',
  days: ['SAT'],
  from: '00:00',
  to: '24:00',
};

describe('freezeEndsAt', () => {
  it.each<[string, FreezeWindow[], string, string]>([
    [
      'a Saturday freeze ends at midnight, São Paulo time',
      [saturdayInBrazil],
      '2026-12-05T15:00:00Z',
      '2026-12-06T03:00:00.000Z',
    ],
    [
      'an evening window spanning midnight ends the next morning',
      [{ ...saturdayInBrazil, days: ALL_DAYS, from: '22:00', to: '06:00' }],
      '2026-12-02T02:00:00Z',
      '2026-12-02T09:00:00.000Z',
    ],
    [
      'two windows back to back end when the second does',
      [
        saturdayInBrazil,
        { ...saturdayInBrazil, name: 'sunday morning', days: ['SUN'] as FreezeWindow['days'], to: '08:00' },
      ],
      '2026-12-05T15:00:00Z',
      '2026-12-06T11:00:00.000Z',
    ],
    [
      'a window that leaves one minute a day ends at that minute',
      [{ ...saturdayInBrazil, days: ALL_DAYS, to: '23:59' }],
      '2026-12-02T12:00:00Z',
      '2026-12-03T02:59:00.000Z',
    ],
  ])('%s', (_case, windows, at, expected) => {
    expect(freezeEndsAt(windows, 'sa-east-1', new Date(at))?.toISOString()).toBe(expected);
  });

  it('answers undefined for a freeze that never ends', () => {
    expect(
      freezeEndsAt([{ ...saturdayInBrazil, days: ALL_DAYS }], 'sa-east-1', new Date('2026-12-02T12:00:00Z')),
    ).toBeUndefined();
  });
});

describe('planDeployment', () => {
  const base = {
    service: { name: 'orders-api', tier: 'T1' as const, team: 'payments' },
    version: 'v2',
    mode: 'standard' as const,
    eligibleApprovers: ['bob'],
    freezeWindows: [],
    overridesFreeze: false,
    now: '2026-12-05T12:00:00.000Z',
  };

  it('plans PROD as two waves, a bake in us-east-1, the T1 gate and the team approval', () => {
    const plan = planDeployment({ ...base, environment: 'prod', approvalPolicy: 'prod-deploy' });
    expect(plan.waves.map((wave) => [wave.region, wave.bakeSeconds, wave.gate.slo.maxP99Ms])).toEqual([
      ['us-east-1', 1800, 100],
      ['sa-east-1', 0, 100],
    ]);
    expect(plan.approval).toEqual({
      policy: 'prod-deploy',
      description: '1 member of the owning team',
      quorum: 1,
      eligibleTeams: ['payments'],
      mayApproveNow: ['bob'],
    });
    expect(plan.estimatedDurationSeconds).toBeGreaterThan(1800 + 15 * 60);
  });

  it('plans HML as one gated wave with no approval and no freeze', () => {
    const plan = planDeployment({
      ...base,
      environment: 'hml',
      approvalPolicy: undefined,
      freezeWindows: [{ ...saturdayInBrazil, regions: ['*'], days: ALL_DAYS }],
    });
    expect(plan.waves.map((wave) => [wave.region, wave.bakeSeconds, wave.freeze])).toEqual([['us-east-1', 0, null]]);
    expect(plan.approval).toBeNull();
  });

  it('shows the freeze in the way of sa-east-1, and counts waiting for it in the duration unless overridden', () => {
    const waiting = planDeployment({
      ...base,
      environment: 'prod',
      approvalPolicy: 'prod-deploy',
      freezeWindows: [saturdayInBrazil],
    });
    expect(waiting.waves[1]?.freeze).toMatchObject({
      name: 'saturday',
      endsAt: '2026-12-06T03:00:00.000Z',
      overridden: false,
    });
    const overridden = planDeployment({
      ...base,
      environment: 'prod',
      approvalPolicy: 'prod-deploy',
      freezeWindows: [saturdayInBrazil],
      overridesFreeze: true,
    });
    expect(overridden.waves[1]?.freeze?.overridden).toBe(true);
    expect(waiting.estimatedDurationSeconds).toBeGreaterThan(overridden.estimatedDurationSeconds + 3600);
  });
});

describe('missingApprovers', () => {
  const person = (id: string, ...teams: string[]): Person => ({ id, teams });
  const requester = (id: string): Requester => ({ personId: id, name: id, bot: false });
  it.each([
    [
      'nobody besides the requester',
      'prod-deploy',
      'storefront',
      'erin',
      { storefront: [person('erin', 'storefront')] },
      'nobody',
    ],
    [
      'a team member who is not the requester',
      'prod-deploy',
      'payments',
      'alice',
      { payments: [person('alice', 'payments'), person('bob', 'payments')] },
      null,
    ],
    [
      'two approvers but nobody from platform-team',
      'prod-resource',
      'payments',
      'alice',
      {
        payments: [person('alice', 'payments'), person('bob', 'payments'), person('zoe', 'payments')],
        'platform-team': [],
      },
      'platform-team',
    ],
    [
      'one approver where two are needed',
      'prod-resource',
      'payments',
      'alice',
      { payments: [person('alice', 'payments')], 'platform-team': [person('carol', 'platform-team')] },
      'only carol',
    ],
  ] as const)('reports %s', (_case, policy, team, requesterId, members, expected) => {
    const requesters = [requester(requesterId)];
    const reason = missingApprovers(approvalTermsFor(policy, team, requesters, members), requesters, members);
    if (expected === null) expect(reason).toBeNull();
    else expect(reason).toContain(expected);
  });
});

function deployment(
  id: string,
  version: string,
  statuses: Wave['status'][],
  status: Deployment['status'],
  digests: { before?: string; after: string },
): Deployment {
  const { deployment: created } = manualDeployment({
    id,
    environment: 'prod',
    version,
    now: '2026-12-01T10:00:00.000Z',
  });
  return {
    ...created,
    status,
    waves: created.waves.map((wave, index) => ({
      ...wave,
      status: statuses[index] ?? 'PENDING',
      digestBefore: digests.before ?? null,
      digestAfter: digests.after,
      endedAt: '2026-12-01T11:00:00.000Z',
    })),
  };
}

describe('liveVersions', () => {
  it('reports the digest a rollback put back, with the version that first put it there, never the rolled-back one', () => {
    const good = deployment('d1', 'v1', ['SUCCEEDED', 'SUCCEEDED'], 'SUCCEEDED', { after: 'sha256:a' });
    const bad = deployment('d2', 'v2', ['ROLLED_BACK', 'SKIPPED'], 'ROLLED_BACK', {
      before: 'sha256:a',
      after: 'sha256:b',
    });
    const running = deployment('d3', 'v3', ['BAKING', 'PENDING'], 'IN_PROGRESS', {
      before: 'sha256:a',
      after: 'sha256:c',
    });
    const live = liveVersions([running, bad, good], ['prod']);
    expect(
      live.map(({ region, version, digest, inFlight }) => ({
        region,
        version,
        digest,
        waveStatus: inFlight?.waveStatus,
      })),
    ).toEqual([
      { region: 'sa-east-1', version: 'v1', digest: 'sha256:a', waveStatus: 'PENDING' },
      { region: 'us-east-1', version: 'v1', digest: 'sha256:a', waveStatus: 'BAKING' },
    ]);
  });

  it('reports nothing live where a first deployment was rolled back', () => {
    const first = deployment('d1', 'v1', ['ROLLED_BACK', 'SKIPPED'], 'ROLLED_BACK', { after: 'sha256:a' });
    expect(liveVersions([first], ['prod']).map((region) => region.version)).toEqual([null, null]);
  });
});

describe('releaseBlockedWave', () => {
  it('records who released which wave and why, once per region', () => {
    const blocked = deployment('d1', 'v1', ['SUCCEEDED', 'BLOCKED'], 'IN_PROGRESS', { after: 'sha256:a' });
    const { deployment: released, event } = releaseBlockedWave(blocked, {
      now: '2026-12-01T12:00:00.000Z',
      by: 'carol',
      reason: 'hotfix for the outage',
    });
    expect(released.waveOverrides).toEqual([
      { region: 'sa-east-1', by: 'carol', reason: 'hotfix for the outage', at: '2026-12-01T12:00:00.000Z' },
    ]);
    expect(event.action).toBe('wave.override');
  });

  it.each([
    ['no wave is BLOCKED', ['SUCCEEDED', 'DEPLOYING'], 'IN_PROGRESS'],
    ['the deployment ended', ['SUCCEEDED', 'SUCCEEDED'], 'SUCCEEDED'],
  ] as const)('refuses when %s', (_case, statuses, status) => {
    expect(() =>
      releaseBlockedWave(deployment('d1', 'v1', [...statuses], status, { after: 'sha256:a' }), {
        now: '2026-12-01T12:00:00.000Z',
        by: 'carol',
        reason: 'hotfix for the outage',
      }),
    ).toThrow();
  });
});
