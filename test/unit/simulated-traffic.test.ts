import { describe, expect, it } from 'vitest';
import {
  LATENCY_BUCKETS_SECONDS,
  SimulatedTraffic,
  latencyDistribution,
} from '../../functions/adapters/local/simulated-traffic.js';

const target = { service: 'orders-api', environment: 'prod', region: 'us-east-1' } as const;

/** PromQL's histogram_quantile over cumulative bucket counts (lower bound of the first bucket is 0). */
function histogramQuantile(quantile: number, cumulative: { le: number; count: number }[]): number {
  const total = cumulative.at(-1)?.count ?? 0;
  const rank = quantile * total;
  const index = cumulative.findIndex((bucket) => bucket.count >= rank);
  const bucket = cumulative[index];
  if (!bucket) return Number.NaN;
  if (bucket.le === Infinity) return cumulative[index - 1]?.le ?? Number.NaN;
  const lower = index === 0 ? 0 : (cumulative[index - 1]?.le ?? 0);
  const below = index === 0 ? 0 : (cumulative[index - 1]?.count ?? 0);
  return lower + ((bucket.le - lower) * (rank - below)) / (bucket.count - below);
}

function samples(exposition: string, metric: string): { labels: string; value: number }[] {
  return exposition
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`))
    .map((line) => ({
      labels: line.slice(line.indexOf('{'), line.lastIndexOf('}') + 1),
      value: Number(line.slice(line.lastIndexOf(' ') + 1)),
    }));
}

describe('latencyDistribution', () => {
  it.each([42, 80, 100, 412, 800, 2500, 0.5])(
    'puts the requests in buckets whose histogram_quantile(0.99) is a p99 of %d ms',
    (p99Ms) => {
      const { shares } = latencyDistribution(p99Ms);
      let count = 0;
      const cumulative = [...LATENCY_BUCKETS_SECONDS, Infinity].map((le, index) => ({
        le,
        count: (count += shares[index] ?? 0),
      }));
      expect(histogramQuantile(0.99, cumulative) * 1000).toBeCloseTo(p99Ms <= 1 ? 0.99 : p99Ms, 6);
    },
  );

  it('answers the largest bound for a p99 slower than every bucket, as Prometheus would', () => {
    const { shares } = latencyDistribution(30_000);
    expect(shares.at(-1)).toBe(1);
  });
});

describe('SimulatedTraffic', () => {
  it('grows its counters at the simulated rate: requestsPerWindow per window, the error share as code 500', () => {
    let now = 1_000_000;
    const traffic = new SimulatedTraffic(60, () => now);
    traffic.serve(target, { requestsPerWindow: 600, errorRate: 0.01, p99Ms: 42 });
    now += 30_000;
    const exposition = traffic.exposition();
    const requests = samples(exposition, 'http_requests_total');
    expect(requests.map((sample) => sample.labels)).toEqual([
      '{service="orders-api",environment="prod",region="us-east-1",code="200"}',
      '{service="orders-api",environment="prod",region="us-east-1",code="500"}',
    ]);
    expect(requests[0]?.value).toBeCloseTo(297, 9);
    expect(requests[1]?.value).toBeCloseTo(3, 9);
    expect(samples(exposition, 'http_request_duration_seconds_count')[0]?.value).toBeCloseTo(300, 9);
    expect(samples(exposition, 'http_request_duration_seconds_bucket').at(-1)).toMatchObject({
      labels: expect.stringContaining('le="+Inf"') as unknown,
    });
  });

  it('keeps what was served before a change and counts at the new shape after it', () => {
    let now = 0;
    const traffic = new SimulatedTraffic(10, () => now);
    traffic.serve(target, { requestsPerWindow: 1000, errorRate: 0, p99Ms: 42 });
    now += 10_000;
    traffic.serve(target, { requestsPerWindow: 10, errorRate: 0.5, p99Ms: 800 });
    now += 10_000;
    const exposition = traffic.exposition();
    expect(samples(exposition, 'http_request_duration_seconds_count')[0]?.value).toBeCloseTo(1010, 9);
    expect(samples(exposition, 'http_requests_total')[1]?.value).toBeCloseTo(5, 9);
  });
});
