import type { GitOpsTarget } from '../../ports/index.js';

/** What a target serves right now: requests per window, the fraction that fail, and the p99. */
export interface TrafficShape {
  requestsPerWindow: number;
  errorRate: number;
  p99Ms: number;
}

/** Latency bucket bounds in seconds, as Prometheus client libraries default to, with a fast one first. */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Counters {
  shape: TrafficShape;
  at: number;
  requests: number;
  errors: number;
  /** Observations per bucket (not cumulative); the last entry is above the largest bound. */
  buckets: number[];
  sumSeconds: number;
}

/**
 * Where each request of a window falls, so that `histogram_quantile(0.99, …)` over these buckets
 * answers the p99: the 0.99 rank must land in the bucket holding the p99, at the point linear
 * interpolation reads as the p99. A share `fast` goes in the bucket just below the p99's bucket
 * `(lower, upper]` and the rest in it; interpolation gives
 * `lower + (upper - lower) * (0.99 - fast) / (1 - fast)`, and a p99 on `lower` is that bound.
 */
export function latencyDistribution(p99Ms: number): { shares: number[]; meanSeconds: number } {
  const p99 = p99Ms / 1000;
  const shares: number[] = Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0);
  // A p99 on a bound is the lower edge of the next bucket: interpolation there answers it exactly.
  const index = LATENCY_BUCKETS_SECONDS.findIndex((bound) => p99 < bound);
  if (index <= 0) {
    // Slower than every bound (quantile answers the largest bound) or faster than the first.
    shares[index === 0 ? 0 : LATENCY_BUCKETS_SECONDS.length] = 1;
    return { shares, meanSeconds: Math.max(p99, 0) };
  }
  const lower = LATENCY_BUCKETS_SECONDS[index - 1] ?? 0;
  const upper = LATENCY_BUCKETS_SECONDS[index] ?? lower;
  const position = (p99 - lower) / (upper - lower);
  // Within the top 1% of a bucket the answer reads slightly low: at most 1% of the bucket's width.
  const fast = Math.max((0.99 - position) / (1 - position), 0);
  shares[index - 1] = fast;
  shares[index] = 1 - fast;
  const fastSeconds = ((LATENCY_BUCKETS_SECONDS[index - 2] ?? 0) + lower) / 2;
  return { shares, meanSeconds: fast * fastSeconds + (1 - fast) * p99 };
}

type Labels = Record<string, string>;
const labelText = (labels: Labels): string =>
  `{${Object.entries(labels)
    .map(([name, value]) => `${name}="${value.replace(/\\/gu, '\\\\').replace(/"/gu, '\\"').replace(/\n/gu, '\\n')}"`)
    .join(',')}}`;

/**
 * Counters that grow as the simulated traffic would make them grow: a target serving
 * `requestsPerWindow` requests per window of `windowSeconds` (real seconds) adds that many requests
 * per window to `http_requests_total`, its error share with `code="500"`, and each request to the
 * latency histogram. Counts are fractional so low rates stay exact over short windows. Rendered in
 * the Prometheus text exposition format, labelled by service, environment and region.
 */
export class SimulatedTraffic {
  private readonly counters = new Map<string, { target: GitOpsTarget; counters: Counters }>();

  constructor(
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** From now on the target serves `shape`; what it served until now stays counted. */
  serve(target: GitOpsTarget, shape: TrafficShape): void {
    const key = `${target.service}/${target.environment}/${target.region}`;
    const existing = this.counters.get(key);
    if (existing) {
      this.advance(existing.counters);
      existing.counters.shape = shape;
      return;
    }
    this.counters.set(key, {
      target,
      counters: {
        shape,
        at: this.now(),
        requests: 0,
        errors: 0,
        buckets: Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0),
        sumSeconds: 0,
      },
    });
  }

  exposition(): string {
    const requests: string[] = [];
    const histogram: string[] = [];
    for (const { target, counters } of this.counters.values()) {
      this.advance(counters);
      const labels = { service: target.service, environment: target.environment, region: target.region };
      requests.push(
        `http_requests_total${labelText({ ...labels, code: '200' })} ${counters.requests - counters.errors}`,
      );
      requests.push(`http_requests_total${labelText({ ...labels, code: '500' })} ${counters.errors}`);
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((bound, index) => {
        cumulative += counters.buckets[index] ?? 0;
        histogram.push(
          `http_request_duration_seconds_bucket${labelText({ ...labels, le: String(bound) })} ${cumulative}`,
        );
      });
      histogram.push(
        `http_request_duration_seconds_bucket${labelText({ ...labels, le: '+Inf' })} ${counters.requests}`,
      );
      histogram.push(`http_request_duration_seconds_sum${labelText(labels)} ${counters.sumSeconds}`);
      histogram.push(`http_request_duration_seconds_count${labelText(labels)} ${counters.requests}`);
    }
    return [
      '# HELP http_requests_total Requests served, by status code (simulated: POST /local/sim/health).',
      '# TYPE http_requests_total counter',
      ...requests,
      '# HELP http_request_duration_seconds Request latency (simulated: POST /local/sim/health).',
      '# TYPE http_request_duration_seconds histogram',
      ...histogram,
      '',
    ].join('\n');
  }

  private advance(counters: Counters): void {
    const now = this.now();
    const served = (counters.shape.requestsPerWindow * Math.max(now - counters.at, 0)) / 1000 / this.windowSeconds;
    counters.at = now;
    const { shares, meanSeconds } = latencyDistribution(counters.shape.p99Ms);
    counters.requests += served;
    counters.errors += served * counters.shape.errorRate;
    counters.sumSeconds += served * meanSeconds;
    shares.forEach((share, index) => {
      counters.buckets[index] = (counters.buckets[index] ?? 0) + served * share;
    });
  }
}
