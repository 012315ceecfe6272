import { environmentSchema, type Environment, type Tier } from './catalog.js';

const ENVIRONMENTS: readonly Environment[] = environmentSchema.options;

export interface ServiceLevelObjective {
  availability: number;
  /** Requests a bake must have seen before its silence can mean health. */
  minBakeRequests: number;
  /** Highest error rate allowed, as a fraction (0.0001 = 0.01%). */
  maxErrorRate: number;
  maxP99Ms: number;
}

export const SLO_BY_TIER: Record<Tier, ServiceLevelObjective> = {
  T1: { availability: 0.9999, maxErrorRate: 0.0001, maxP99Ms: 100, minBakeRequests: 1000 },
  T2: { availability: 0.999, maxErrorRate: 0.001, maxP99Ms: 500, minBakeRequests: 200 },
  T3: { availability: 0.995, maxErrorRate: 0.01, maxP99Ms: 2000, minBakeRequests: 50 },
};

export interface HealthObservation {
  /** Fraction of failed requests in the observation window, when the source has it. */
  errorRate?: number;
  p99Ms?: number;
  /** Requests served in the observation window, when the source counts them. */
  requestCount?: number;
  argoHealth: string;
  alarmsInAlarm: string[];
  /** Signals the source was asked for and could not read (a query error or timeout), with why. */
  unavailable?: UnavailableSignals;
}

export type MeasuredSignal = 'errorRate' | 'p99Ms' | 'requestCount';
export type UnavailableSignals = Partial<Record<MeasuredSignal, string>>;

export interface HealthVerdict {
  passed: boolean;
  /** Not passed only because a signal could not be read: nothing observed was bad. */
  inconclusive: boolean;
  reasons: string[];
}

const SIGNAL_NAMES: Record<MeasuredSignal, string> = {
  errorRate: 'error rate',
  p99Ms: 'p99',
  requestCount: 'request count',
};

/** A signal the source could not read is never taken as healthy. */
function unreadable(observation: HealthObservation, signals: MeasuredSignal[]): string[] {
  return signals.flatMap((signal) => {
    const why = observation.unavailable?.[signal];
    return why === undefined ? [] : [`${SIGNAL_NAMES[signal]} unknown (${why}), so the check cannot pass`];
  });
}

const percent = (fraction: number): string => `${Number((fraction * 100).toPrecision(3))}%`;

/**
 * A wave passes its gate only when every signal is within the tier's objective. A signal the
 * source could not read (a PromQL error or timeout) makes the gate inconclusive, never passed.
 */
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
  const unknown = unreadable(observation, ['errorRate', 'p99Ms']);
  return {
    passed: reasons.length === 0 && unknown.length === 0,
    inconclusive: reasons.length === 0 && unknown.length > 0,
    reasons: [...reasons, ...unknown],
  };
}

export type BakeVerdict = HealthVerdict;

/**
 * The end of a bake: the gate again, plus enough traffic to mean something. Too few requests is
 * inconclusive, never a pass: silence is not health.
 */
export function evaluateBake(tier: Tier, observation: HealthObservation): BakeVerdict {
  const gate = evaluateHealthGate(tier, observation);
  const minimum = SLO_BY_TIER[tier].minBakeRequests;
  const requests = observation.requestCount;
  const unknownTraffic = unreadable(observation, ['requestCount']);
  if (unknownTraffic.length > 0)
    return {
      passed: false,
      inconclusive: gate.passed || gate.inconclusive,
      reasons: [...gate.reasons, ...unknownTraffic],
    };
  if (requests === undefined || requests < minimum) {
    return {
      passed: false,
      inconclusive: gate.passed || gate.inconclusive,
      reasons: [
        ...gate.reasons,
        `only ${Math.round(requests ?? 0)} requests during the bake, ${minimum} needed for ${tier}`,
      ],
    };
  }
  return gate;
}

/**
 * Which catalogued service and environment an alarm belongs to: alarm names start with
 * `{service}-{environment}-`, as the health gates read them. The longest service wins, so
 * `orders-api-prod-5xx` is orders-api even when a service `orders` exists; a name without an
 * environment belongs to no bake.
 */
export function alarmTargetOf(
  alarmName: string,
  services: string[],
): { service: string; environment: Environment } | undefined {
  return services
    .flatMap((service) =>
      ENVIRONMENTS.filter((environment) => alarmName.startsWith(`${service}-${environment}-`)).map((environment) => ({
        service,
        environment,
      })),
    )
    .sort((a, b) => b.service.length - a.service.length)[0];
}
