import { describe, expect, it } from 'vitest';
import { deploymentIdFor } from '../../functions/domain/deployment-id.js';
import {
  assertWaveMayStart,
  canTransition,
  transitionDeployment,
  transitionWave,
  wavesToRollBack,
} from '../../functions/domain/deployment.js';
import { interpretPullRequest, type PullRequestEvent } from '../../functions/domain/github-delivery.js';
import { evaluateBake, evaluateHealthGate } from '../../functions/domain/health-gate.js';
import { decideLockContention } from '../../functions/domain/locking.js';
import { planRollout } from '../../functions/domain/rollout-plan.js';
import { InvalidTransitionError } from '../../functions/errors.js';
import { manualDeployment } from '../support/deployments.js';

describe('planRollout', () => {
  it('plans one us-east-1 wave without bake for hml', () => {
    expect(planRollout('hml', 'T1')).toEqual([{ region: 'us-east-1', cluster: 'eks-hml-use1', bakeSeconds: 0 }]);
  });

  it('plans us-east-1 with a 30-minute bake, then sa-east-1, for prod', () => {
    expect(planRollout('prod', 'T2')).toEqual([
      { region: 'us-east-1', cluster: 'eks-prod-use1', bakeSeconds: 1800 },
      { region: 'sa-east-1', cluster: 'eks-prod-sae1', bakeSeconds: 0 },
    ]);
  });

  it('skips bakes for a rollback deploy', () => {
    expect(planRollout('prod', 'T1', 'rollback').every((wave) => wave.bakeSeconds === 0)).toBe(true);
  });
});

describe('evaluateHealthGate', () => {
  const healthy = { argoHealth: 'Healthy', alarmsInAlarm: [] };
  it.each([
    ['T1', { ...healthy, errorRate: 0.00005, p99Ms: 90 }, []],
    ['T1', { ...healthy, errorRate: 0.0001, p99Ms: 90 }, ['error rate 0.01% >= 0.01% for T1']],
    ['T1', { ...healthy, errorRate: 0, p99Ms: 412 }, ['p99 412 ms > 100 ms for T1']],
    ['T2', { ...healthy, errorRate: 0.0009, p99Ms: 500 }, []],
    [
      'T2',
      { ...healthy, errorRate: 0.002, p99Ms: 501 },
      ['error rate 0.2% >= 0.1% for T2', 'p99 501 ms > 500 ms for T2'],
    ],
    ['T3', { ...healthy, errorRate: 0.009, p99Ms: 1999 }, []],
    [
      'T3',
      { argoHealth: 'Degraded', alarmsInAlarm: ['orders-api-5xx'] },
      ['Argo CD health is Degraded, not Healthy', 'alarm orders-api-5xx is in ALARM'],
    ],
  ] as const)('for %s with %j gives %j', (tier, observation, reasons) => {
    const verdict = evaluateHealthGate(tier, { ...observation, alarmsInAlarm: [...observation.alarmsInAlarm] });
    expect(verdict).toEqual({ passed: reasons.length === 0, inconclusive: false, reasons });
  });

  it('is inconclusive, never passed, when a signal could not be read (a PromQL error or timeout)', () => {
    const verdict = evaluateHealthGate('T1', {
      ...healthy,
      errorRate: 0,
      unavailable: { p99Ms: 'Prometheus did not answer within 5 s' },
    });
    expect(verdict).toEqual({
      passed: false,
      inconclusive: true,
      reasons: ['p99 unknown (Prometheus did not answer within 5 s), so the check cannot pass'],
    });
  });

  it('fails rather than being inconclusive when something it could read is bad as well', () => {
    const verdict = evaluateHealthGate('T1', {
      ...healthy,
      p99Ms: 900,
      unavailable: { errorRate: 'PromQL bad_data: parse error' },
    });
    expect(verdict).toMatchObject({ passed: false, inconclusive: false });
    expect(verdict.reasons).toHaveLength(2);
  });
});

describe('evaluateBake', () => {
  const healthy = { argoHealth: 'Healthy', alarmsInAlarm: [], errorRate: 0, p99Ms: 40 };
  it.each([
    ['enough traffic passes', { ...healthy, requestCount: 1000 }, { passed: true, inconclusive: false }],
    ['too little traffic is inconclusive', { ...healthy, requestCount: 12 }, { passed: false, inconclusive: true }],
    ['no traffic figure is inconclusive', healthy, { passed: false, inconclusive: true }],
    [
      'an unreadable request count is inconclusive',
      { ...healthy, unavailable: { requestCount: 'PromQL timeout' } },
      { passed: false, inconclusive: true },
    ],
    [
      'an unreadable error rate is inconclusive',
      { ...healthy, requestCount: 5000, unavailable: { errorRate: 'HTTP 503' } },
      { passed: false, inconclusive: true },
    ],
    [
      'bad health with little traffic fails',
      { ...healthy, p99Ms: 900, requestCount: 12 },
      { passed: false, inconclusive: false },
    ],
  ] as const)('%s', (_name, observation, expected) => {
    expect(evaluateBake('T1', observation)).toMatchObject(expected);
  });
});

describe('decideLockContention', () => {
  const older = { deploymentId: 'a', requestedAt: '2026-11-23T10:00:00.000Z' };
  const newer = { deploymentId: 'b', requestedAt: '2026-11-23T10:00:01.000Z' };
  it.each([
    ['hml', older, newer, 'take-over'],
    ['hml', newer, older, 'superseded'],
    ['prod', older, newer, 'wait'],
    ['prod', newer, older, 'wait'],
  ] as const)('in %s, holder %j and candidate %j: %s', (environment, holder, candidate, decision) => {
    expect(decideLockContention(environment, holder, candidate)).toBe(decision);
  });
});

describe('deploymentIdFor', () => {
  it('is deterministic and readable', () => {
    const request = { service: 'orders-api', environment: 'hml', version: '3f2a9c1', requestKey: 'delivery-1' };
    expect(deploymentIdFor(request)).toBe(deploymentIdFor(request));
    expect(deploymentIdFor(request)).toMatch(/^orders-api-hml-3f2a9c1-[0-9a-f]{8}$/u);
  });

  it('differs for another request of the same version', () => {
    const base = { service: 'orders-api', environment: 'hml', version: '3f2a9c1' };
    expect(deploymentIdFor({ ...base, requestKey: 'a' })).not.toBe(deploymentIdFor({ ...base, requestKey: 'b' }));
  });

  it('fits Step Functions execution names', () => {
    const id = deploymentIdFor({
      service: 'a'.repeat(60),
      environment: 'prod',
      version: 'v1.2.3+build/7',
      requestKey: 'x',
    });
    expect(id.length).toBeLessThanOrEqual(80);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/u);
  });
});

/** A fresh two-wave PROD deployment, as the starter records it. */
const prodDeployment = (id: string) =>
  manualDeployment({ id, environment: 'prod', version: 'v1.0.0', now: '2026-11-23T10:00:00.000Z' }).deployment;
const context = { now: '2026-11-23T10:01:00.000Z', actor: 'flightplan', action: 'test', message: 'test' };

describe('deployment transitions', () => {
  const deployment = prodDeployment('d1');

  it('refuses a transition out of a terminal status', () => {
    const succeeded = transitionDeployment(
      transitionDeployment(deployment, 'IN_PROGRESS', context).deployment,
      'SUCCEEDED',
      context,
    ).deployment;
    expect(() => transitionDeployment(succeeded, 'IN_PROGRESS', context)).toThrow(InvalidTransitionError);
    expect(canTransition('SUCCEEDED', 'FAILED')).toBe(false);
  });

  it('skips untouched waves when the deployment ends', () => {
    const ended = transitionDeployment(deployment, 'SUPERSEDED', context).deployment;
    expect(ended.waves.map((wave) => wave.status)).toEqual(['SKIPPED', 'SKIPPED']);
  });

  it('rolls back touched waves newest first', () => {
    let current = transitionDeployment(deployment, 'IN_PROGRESS', context).deployment;
    for (const region of ['us-east-1', 'sa-east-1']) {
      current = transitionWave(current, region, 'DEPLOYING', {
        ...context,
        changes: { digestBefore: 'sha256:old', digestAfter: 'sha256:new' },
      }).deployment;
    }
    expect(wavesToRollBack(current).map((wave) => wave.region)).toEqual(['sa-east-1', 'us-east-1']);
  });
});

describe('interpretPullRequest', () => {
  const event = (overrides: Partial<PullRequestEvent> & { labels?: string[]; state?: string }): PullRequestEvent => ({
    action: overrides.action ?? 'labeled',
    number: 7,
    label: overrides.label ?? { name: 'deploy-hml' },
    pull_request: {
      state: overrides.state ?? 'open',
      head: { sha: 'a'.repeat(40) },
      labels: (overrides.labels ?? ['deploy-hml']).map((name) => ({ name })),
    },
    repository: { full_name: 'acme/orders-api' },
    sender: { login: 'alice' },
  });

  it.each([
    ['labeled deploy-hml', event({}), 'deploy-hml'],
    ['labeled something else', event({ label: { name: 'bug' } }), 'ignored'],
    ['synchronize with the label', event({ action: 'synchronize' }), 'deploy-hml'],
    ['synchronize without the label', event({ action: 'synchronize', labels: [] }), 'ignored'],
    ['closed pull request', event({ state: 'closed' }), 'ignored'],
    ['opened', event({ action: 'opened' }), 'ignored'],
  ])('%s → %s', (_name, payload, kind) => {
    expect(interpretPullRequest(payload).kind).toBe(kind);
  });
});

describe('assertWaveMayStart', () => {
  const deployment = prodDeployment('order');
  const withFirstWave = (
    ...statuses: ('DEPLOYING' | 'GATING' | 'BAKING' | 'SUCCEEDED' | 'FAILED' | 'ROLLING_BACK')[]
  ) =>
    statuses.reduce((current, status) => transitionWave(current, 'us-east-1', status, context).deployment, deployment);

  it('lets the first wave start', () => {
    expect(() => {
      assertWaveMayStart(deployment, 'us-east-1');
    }).not.toThrow();
  });

  it.each([
    [['DEPLOYING', 'GATING', 'BAKING'], true],
    [['DEPLOYING', 'GATING', 'BAKING', 'FAILED'], true],
    [['DEPLOYING', 'GATING', 'BAKING', 'FAILED', 'ROLLING_BACK'], true],
    [['DEPLOYING', 'GATING', 'BAKING', 'SUCCEEDED'], false],
  ] as const)('after us-east-1 went %j, refusing sa-east-1 is %s', (statuses, refused) => {
    const check = () => {
      assertWaveMayStart(withFirstWave(...statuses), 'sa-east-1');
    };
    if (refused) expect(check).toThrow(InvalidTransitionError);
    else expect(check).not.toThrow();
  });
});
