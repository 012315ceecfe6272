import type { Tier } from './catalog.js';

export interface ServiceLevelObjective {
  availability: number;
  /** Highest error rate allowed, as a fraction (0.0001 = 0.01%). */
  maxErrorRate: number;
  maxP99Ms: number;
}

export const SLO_BY_TIER: Record<Tier, ServiceLevelObjective> = {
  T1: { availability: 0.9999, maxErrorRate: 0.0001, maxP99Ms: 100 },
  T2: { availability: 0.999, maxErrorRate: 0.001, maxP99Ms: 500 },
  T3: { availability: 0.995, maxErrorRate: 0.01, maxP99Ms: 2000 },
};

export interface HealthObservation {
  /** Fraction of failed requests in the observation window, when the source has it. */
  errorRate?: number;
  p99Ms?: number;
  argoHealth: string;
  alarmsInAlarm: string[];
}

export interface HealthVerdict {
  passed: boolean;
  reasons: string[];
}

const percent = (fraction: number): string => `${Number((fraction * 100).toPrecision(3))}%`;

/** A wave passes its gate only when every signal is within the tier's objective. */
export function evaluateHealthGate(tier: Tier, observation: HealthObservation): HealthVerdict {
  const slo = SLO_BY_TIER[tier];
  const reasons: string[] = [];
  if (observation.argoHealth !== 'Healthy') reasons.push(`Argo CD health is ${observation.argoHealth}, not Healthy`);
  if (observation.errorRate !== undefined && observation.errorRate >= slo.maxErrorRate) {
    reasons.push(`error rate ${percent(observation.errorRate)} >= ${percent(slo.maxErrorRate)} for ${tier}`);
  }
  if (observation.p99Ms !== undefined && observation.p99Ms > slo.maxP99Ms) {
    reasons.push(`p99 ${Math.round(observation.p99Ms)} ms > ${slo.maxP99Ms} ms for ${tier}`);
  }
  for (const alarm of observation.alarmsInAlarm) reasons.push(`alarm ${alarm} is in ALARM`);
  return { passed: reasons.length === 0, reasons };
}
