import { APPROVAL_POLICIES, type ApprovalPolicyName } from './approval.js';
import type { Environment, Tier } from './catalog.js';
import { activeFreeze, type FreezeWindow } from './freeze-window.js';
import { SLO_BY_TIER, type ServiceLevelObjective } from './health-gate.js';
import { planRollout, type RolloutMode } from './rollout-plan.js';

/**
 * Rough times and prices a plan quotes. The durations are what the local runtime and the Argo CD
 * sync of a small service take in practice; the price is the order of magnitude the cost
 * benchmark (bench/results) measures for one PROD deployment, not a bill.
 */
export const PLAN_ESTIMATES = {
  resolveArtifactSeconds: 5,
  syncSeconds: 90,
  gateSeconds: 15,
  approvalSeconds: 15 * 60,
  usdPerWave: 0.0004,
  usdPerBakeHour: 0.0001,
} as const;

export interface PlannedGate {
  slo: ServiceLevelObjective;
  checks: string[];
}

export interface PlannedWaveView {
  region: string;
  cluster: string;
  bakeSeconds: number;
  gate: PlannedGate;
  /** When this wave would start if nothing waits longer than estimated. */
  estimatedStartAt: string;
  /** The freeze window that would block the wave at that time, and when it ends. */
  freeze: { name: string; from: string; to: string; timeZone: string; endsAt: string; overridden: boolean } | null;
}

export interface DeploymentPlan {
  service: string;
  environment: Environment;
  version: string;
  mode: RolloutMode;
  tier: Tier;
  waves: PlannedWaveView[];
  approval: {
    policy: ApprovalPolicyName;
    description: string;
    quorum: number;
    eligibleTeams: string[];
    mayApproveNow: string[];
  } | null;
  estimatedDurationSeconds: number;
  estimatedCostUsd: number;
  writes: 'nothing';
}

const isoPlus = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

/**
 * When the freeze covering `region` at `at` ends: the first moment, among the next eight days'
 * `to` times of every window on that region (in each window's own time zone), at which no
 * window is active. Undefined when every one of them is still frozen.
 */
export function freezeEndsAt(windows: readonly FreezeWindow[], region: string, at: Date): Date | undefined {
  const candidates = windows
    .filter((window) => window.regions.includes(region) || window.regions.includes('*'))
    .flatMap((window) => {
      const wall = wallClock(at, window.timeZone);
      // The zone's offset now; a daylight-saving change within the week moves a candidate by an hour at most.
      const offset =
        Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute) -
        Math.floor(at.getTime() / 60_000) * 60_000;
      const [hours = 0, minutes = 0] = window.to.split(':').map(Number);
      return Array.from(
        { length: 9 },
        (_, day) => Date.UTC(wall.year, wall.month - 1, wall.day + day, hours, minutes) - offset,
      );
    })
    .filter((candidate) => candidate > at.getTime())
    .sort((a, b) => a - b);
  const end = candidates.find((candidate) => !activeFreeze(windows, region, new Date(candidate)));
  return end === undefined ? undefined : new Date(end);
}

function wallClock(
  at: Date,
  timeZone: string,
): { year: number; month: number; day: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return {
    year: value('year'),
    month: value('month'),
    day: value('day'),
    hour: value('hour'),
    minute: value('minute'),
  };
}

/**
 * What a deploy would do, decided by the same rules the workflow follows: the waves and bakes of
 * the rollout, each gate's objective for the tier, the approval and who could give it now, the
 * freeze windows in the way. Pure: the caller reads the catalog and the directory.
 */
export function planDeployment(input: {
  service: { name: string; tier: Tier; team: string };
  environment: Environment;
  version: string;
  mode: RolloutMode;
  approvalPolicy: ApprovalPolicyName | undefined;
  /** Logins allowed to decide the approval other than the requester, from the directory. */
  eligibleApprovers: string[];
  freezeWindows: readonly FreezeWindow[];
  overridesFreeze: boolean;
  now: string;
}): DeploymentPlan {
  const slo = SLO_BY_TIER[input.service.tier];
  const policy = input.approvalPolicy ? APPROVAL_POLICIES[input.approvalPolicy] : undefined;
  let clock = isoPlus(input.now, PLAN_ESTIMATES.resolveArtifactSeconds + (policy ? PLAN_ESTIMATES.approvalSeconds : 0));
  let cost = 0;
  const waves = planRollout(input.environment, input.service.tier, input.mode).map((wave): PlannedWaveView => {
    const startAt = clock;
    const window =
      input.environment === 'prod' ? activeFreeze(input.freezeWindows, wave.region, new Date(startAt)) : undefined;
    const endsAt = window ? freezeEndsAt(input.freezeWindows, wave.region, new Date(startAt)) : undefined;
    const waitsForFreeze =
      window && !input.overridesFreeze && endsAt ? (endsAt.getTime() - Date.parse(startAt)) / 1000 : 0;
    clock = isoPlus(
      startAt,
      waitsForFreeze + PLAN_ESTIMATES.syncSeconds + PLAN_ESTIMATES.gateSeconds + wave.bakeSeconds,
    );
    cost += PLAN_ESTIMATES.usdPerWave + (wave.bakeSeconds / 3600) * PLAN_ESTIMATES.usdPerBakeHour;
    return {
      ...wave,
      gate: {
        slo,
        checks: [
          'Argo CD synced and Healthy',
          `error rate below ${slo.maxErrorRate * 100}%`,
          `p99 below ${slo.maxP99Ms} ms`,
          `no alarm in ALARM for ${input.service.name} in ${wave.region}`,
          ...(wave.bakeSeconds > 0
            ? [`bake ${wave.bakeSeconds / 60} min with at least ${slo.minBakeRequests} requests`]
            : []),
        ],
      },
      estimatedStartAt: startAt,
      freeze: window
        ? {
            name: window.name,
            from: window.from,
            to: window.to,
            timeZone: window.timeZone,
            endsAt: endsAt?.toISOString() ?? 'never',
            overridden: input.overridesFreeze,
          }
        : null,
    };
  });
  return {
    service: input.service.name,
    environment: input.environment,
    version: input.version,
    mode: input.mode,
    tier: input.service.tier,
    waves,
    approval:
      policy && input.approvalPolicy
        ? {
            policy: input.approvalPolicy,
            description: policy.description,
            quorum: policy.quorum,
            eligibleTeams: policy.eligibleTeams(input.service.team),
            mayApproveNow: input.eligibleApprovers,
          }
        : null,
    estimatedDurationSeconds: Math.round((Date.parse(clock) - Date.parse(input.now)) / 1000),
    estimatedCostUsd: Number(cost.toFixed(6)),
    writes: 'nothing',
  };
}
