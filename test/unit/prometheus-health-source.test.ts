import { describe, expect, it } from 'vitest';
import {
  PrometheusHealthSource,
  type PrometheusHealthSourceOptions,
} from '../../functions/adapters/prometheus/prometheus-health-source.js';
import { evaluateBake, evaluateHealthGate } from '../../functions/domain/health-gate.js';
import { PROMQL_PRESETS, parseHealthSources } from '../../functions/health-settings.js';
import type { HealthSource } from '../../functions/ports/index.js';

const target = { service: 'orders-api', environment: 'hml', region: 'us-east-1' } as const;
const alarms: HealthSource = { observe: () => Promise.resolve({ alarmsInAlarm: ['orders-api-hml-5xx'] }) };

type Answer = { status: number; body: unknown } | 'hang' | 'refused';

/** A Prometheus that answers each query by the signal it is for (recognized by its metric). */
function fakePrometheus(answers: { errorRate: Answer; p99Ms: Answer; requestCount: Answer }) {
  const requests: { url: URL; headers: Record<string, string> }[] = [];
  const fetch = (input: URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    requests.push({ url, headers: init?.headers as Record<string, string> });
    const query = url.searchParams.get('query') ?? '';
    const answer = query.includes('histogram_quantile')
      ? answers.p99Ms
      : query.includes('increase')
        ? answers.requestCount
        : answers.errorRate;
    if (answer === 'refused') return Promise.reject(new TypeError('fetch failed'));
    if (answer === 'hang') {
      return new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => {
          reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
        });
      });
    }
    return Promise.resolve(new Response(JSON.stringify(answer.body), { status: answer.status }));
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

const vector = (value: string) => ({
  status: 200,
  body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1764590000, value] }] } },
});
const empty = { status: 200, body: { status: 'success', data: { resultType: 'vector', result: [] } } };
const badData = {
  status: 400,
  body: { status: 'error', errorType: 'bad_data', error: '1:14: parse error: unexpected "}"' },
};

function source(fetch: typeof globalThis.fetch, overrides: Partial<PrometheusHealthSourceOptions> = {}) {
  return new PrometheusHealthSource({
    url: 'https://mimir.example.com/prometheus',
    queries: PROMQL_PRESETS['http-requests-total'],
    labels: { service: 'service', environment: 'environment', region: 'region' },
    windowSeconds: 300,
    timeoutMs: 50,
    alarms,
    fetch,
    ...overrides,
  });
}

describe('PrometheusHealthSource', () => {
  it('asks /api/v1/query the documented PromQL for the service, environment and region', async () => {
    const prometheus = fakePrometheus({ errorRate: vector('0'), p99Ms: vector('40'), requestCount: vector('2000') });
    await source(prometheus.fetch).observe(target);
    const selector = 'service="orders-api",environment="hml",region="us-east-1"';
    expect(prometheus.requests.map((request) => `${request.url.origin}${request.url.pathname}`)).toEqual(
      Array(3).fill('https://mimir.example.com/prometheus/api/v1/query'),
    );
    expect(prometheus.requests.map((request) => request.url.searchParams.get('query'))).toEqual([
      `(sum(rate(http_requests_total{${selector},code=~"5.."}[300s])) or vector(0)) / sum(rate(http_requests_total{${selector}}[300s]))`,
      `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${selector}}[300s]))) * 1000`,
      `sum(increase(http_requests_total{${selector}}[300s]))`,
    ]);
  });

  it('reads the three signals and keeps alarms from the alarm source', async () => {
    const prometheus = fakePrometheus({
      errorRate: vector('0.002'),
      p99Ms: vector('412.5'),
      requestCount: vector('1834.7'),
    });
    expect(await source(prometheus.fetch).observe(target)).toEqual({
      errorRate: 0.002,
      p99Ms: 412.5,
      requestCount: 1834.7,
      alarmsInAlarm: ['orders-api-hml-5xx'],
    });
  });

  it('leaves a signal out when the query has no series or answers NaN (no traffic), without calling it unavailable', async () => {
    const prometheus = fakePrometheus({ errorRate: empty, p99Ms: vector('NaN'), requestCount: empty });
    const signals = await source(prometheus.fetch).observe(target);
    expect(signals).toEqual({ alarmsInAlarm: ['orders-api-hml-5xx'] });
  });

  it.each([
    ['a PromQL error', badData, 'PromQL bad_data: 1:14: parse error: unexpected "}"'],
    ['a timeout', 'hang', 'Prometheus did not answer within 0.05 s'],
    ['a refused connection', 'refused', 'Prometheus could not be queried: fetch failed'],
    [
      'an answer that is not the API',
      { status: 502, body: '<html>Bad gateway</html>' },
      'Prometheus answered HTTP 502 with no query result',
    ],
    [
      'more than one series',
      {
        status: 200,
        body: {
          status: 'success',
          data: {
            resultType: 'vector',
            result: [
              { metric: { pod: 'a' }, value: [1, '1'] },
              { metric: { pod: 'b' }, value: [1, '2'] },
            ],
          },
        },
      },
      'the query returned 2 series; it must aggregate to one',
    ],
  ] as const)(
    'never passes a gate when a query fails with %s: the gate is inconclusive',
    async (_name, answer, why) => {
      const prometheus = fakePrometheus({ errorRate: vector('0'), p99Ms: answer, requestCount: vector('5000') });
      const signals = await source(prometheus.fetch).observe(target);
      expect(signals.unavailable).toEqual({ p99Ms: why });
      const verdict = evaluateHealthGate('T1', { ...signals, alarmsInAlarm: [], argoHealth: 'Healthy' });
      expect(verdict).toMatchObject({ passed: false, inconclusive: true });
      expect(verdict.reasons).toEqual([`p99 unknown (${why}), so the check cannot pass`]);
    },
  );

  it('makes a bake inconclusive, never passed, when the request count cannot be read', async () => {
    const prometheus = fakePrometheus({ errorRate: vector('0'), p99Ms: vector('40'), requestCount: 'hang' });
    const signals = await source(prometheus.fetch).observe(target);
    expect(evaluateBake('T1', { ...signals, alarmsInAlarm: [], argoHealth: 'Healthy' })).toMatchObject({
      passed: false,
      inconclusive: true,
    });
  });

  it('sends the headers its authorizer gives for each query', async () => {
    const prometheus = fakePrometheus({ errorRate: vector('0'), p99Ms: vector('40'), requestCount: vector('5000') });
    const authorize = ({ url }: { url: URL }) => Promise.resolve({ authorization: `Bearer for ${url.hostname}` });
    await source(prometheus.fetch, { authorize }).observe(target);
    expect(prometheus.requests.map((request) => request.headers['authorization'])).toEqual(
      Array(3).fill('Bearer for mimir.example.com'),
    );
  });

  it('fills custom templates, with label names of the installation', () => {
    const prometheus = fakePrometheus({ errorRate: vector('0'), p99Ms: vector('40'), requestCount: vector('5000') });
    const micrometer = source(prometheus.fetch, {
      queries: PROMQL_PRESETS.micrometer,
      labels: { service: 'application', environment: 'env', region: 'aws_region' },
      windowSeconds: 5,
    });
    expect(micrometer.promql('p99Ms', target)).toBe(
      'histogram_quantile(0.99, sum by (le) (rate(http_server_requests_seconds_bucket{application="orders-api",env="hml",aws_region="us-east-1"}[5s]))) * 1000',
    );
  });
});

describe('parseHealthSources', () => {
  it('reads CloudWatch for an environment left out, and fills the Prometheus defaults', () => {
    expect(parseHealthSources({ hml: { type: 'prometheus', url: 'https://prometheus.example.com' } })).toEqual({
      hml: {
        type: 'prometheus',
        url: 'https://prometheus.example.com',
        auth: { type: 'none' },
        queries: 'http-requests-total',
        labels: { service: 'service', environment: 'environment', region: 'region' },
        windowSeconds: 300,
        timeoutSeconds: 5,
      },
      prod: { type: 'cloudwatch' },
    });
  });

  it.each([
    ['an unknown source type', { prod: { type: 'datadog' } }],
    [
      'a bearer token without its secret',
      { prod: { type: 'prometheus', url: 'https://p.example.com', auth: { type: 'bearer' } } },
    ],
    ['an unknown preset', { prod: { type: 'prometheus', url: 'https://p.example.com', queries: 'nginx' } }],
    ['an unknown environment', { staging: { type: 'cloudwatch' } }],
  ])('refuses %s', (_name, value) => {
    expect(() => parseHealthSources(value)).toThrow();
  });
});
