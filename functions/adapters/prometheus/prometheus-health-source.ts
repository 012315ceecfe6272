import * as z from '../../zod.js';
import type { MeasuredSignal, UnavailableSignals } from '../../domain/health-gate.js';
import type { PromqlTemplates } from '../../health-settings.js';
import type { GitOpsTarget, HealthSignals, HealthSource } from '../../ports/index.js';

/** Headers that authenticate one query: a bearer token, basic auth, or a SigV4 signature (AMP). */
export type PrometheusAuthorizer = (request: { url: URL; method: 'GET' }) => Promise<Record<string, string>>;

export interface PrometheusHealthSourceOptions {
  /** Base URL of the Prometheus HTTP API (Mimir: `…/prometheus`; AMP: `…/workspaces/ws-…`). */
  url: string;
  queries: PromqlTemplates;
  /** Label names that carry service, environment and region in `$selector`. */
  labels: { service: string; environment: string; region: string };
  windowSeconds: number;
  timeoutMs: number;
  /** Alarms stay where they are (CloudWatch): only `alarmsInAlarm` is taken from this source. */
  alarms: HealthSource;
  authorize?: PrometheusAuthorizer;
  fetch?: typeof fetch;
}

const SIGNALS: MeasuredSignal[] = ['errorRate', 'p99Ms', 'requestCount'];

const sampleSchema = z.tuple([z.number(), z.string()]);
const answerSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({
        resultType: z.literal('vector'),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleSchema })),
      }),
      z.object({ resultType: z.literal('scalar'), result: sampleSchema }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.optional(z.string()), error: z.optional(z.string()) }),
]);

/** One query's outcome: a number, nothing (no traffic, so no series), or why there is no answer. */
type QueryOutcome = { value: number } | { absent: true } | { unavailable: string };

/** PromQL string literals escape backslashes and double quotes. */
const promqlString = (value: string): string => `"${value.replace(/\\/gu, '\\\\').replace(/"/gu, '\\"')}"`;

/**
 * Health from any Prometheus-compatible backend (Prometheus, Mimir, Grafana Cloud, Amazon Managed
 * Prometheus) through the HTTP API's instant query, `GET /api/v1/query`. Each signal is one PromQL
 * query from configurable templates. A query that errors, times out or answers ambiguously is
 * reported as `unavailable`, which the gate never takes as healthy; an empty answer means no
 * traffic and the signal is left out, as CloudWatch leaves out a metric with no data.
 */
export class PrometheusHealthSource implements HealthSource {
  private readonly fetch: typeof fetch;
  private readonly endpoint: URL;

  constructor(private readonly options: PrometheusHealthSourceOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.endpoint = new URL('api/v1/query', options.url.endsWith('/') ? options.url : `${options.url}/`);
  }

  /** The PromQL this source runs for one signal of one target, as documented in README. */
  promql(signal: MeasuredSignal, target: GitOpsTarget): string {
    const { labels } = this.options;
    const selector = [
      `${labels.service}=${promqlString(target.service)}`,
      `${labels.environment}=${promqlString(target.environment)}`,
      `${labels.region}=${promqlString(target.region)}`,
    ].join(',');
    return this.options.queries[signal]
      .replaceAll('$selector', selector)
      .replaceAll('$window', `${this.options.windowSeconds}s`)
      .replaceAll('$service', target.service)
      .replaceAll('$environment', target.environment)
      .replaceAll('$region', target.region);
  }

  async observe(target: GitOpsTarget): Promise<HealthSignals> {
    const [alarms, ...outcomes] = await Promise.all([
      this.options.alarms.observe(target),
      ...SIGNALS.map((signal) => this.query(this.promql(signal, target))),
    ]);
    const signals: HealthSignals = { alarmsInAlarm: alarms.alarmsInAlarm };
    const unavailable: UnavailableSignals = {};
    SIGNALS.forEach((signal, index) => {
      const outcome = outcomes[index];
      if (outcome && 'value' in outcome) signals[signal] = outcome.value;
      if (outcome && 'unavailable' in outcome) unavailable[signal] = outcome.unavailable;
    });
    return Object.keys(unavailable).length > 0 ? { ...signals, unavailable } : signals;
  }

  private async query(promql: string): Promise<QueryOutcome> {
    const url = new URL(this.endpoint);
    // RFC 3986 encoding, not a form's (`+` for spaces): what a SigV4 signature is computed over.
    url.search = `?query=${encodeURIComponent(promql).replace(/[!'()*]/gu, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)}`;
    let status: number;
    let text: string;
    try {
      const headers = { accept: 'application/json', ...(await this.options.authorize?.({ url, method: 'GET' })) };
      // One deadline for the whole exchange, body included: a slow backend must not hold the gate.
      const response = await this.fetch(url, {
        method: 'GET',
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        return { unavailable: `Prometheus did not answer within ${this.options.timeoutMs / 1000} s` };
      return { unavailable: `Prometheus could not be queried: ${(error as Error).message}` };
    }
    let answer: z.infer<typeof answerSchema>;
    try {
      answer = answerSchema.parse(JSON.parse(text));
    } catch {
      return { unavailable: `Prometheus answered HTTP ${status} with no query result` };
    }
    if (answer.status === 'error')
      return { unavailable: `PromQL ${answer.errorType ?? 'error'}: ${answer.error ?? `HTTP ${status}`}` };
    const { data } = answer;
    if (data.resultType === 'scalar') return this.valueOf(data.result[1]);
    if (data.result.length === 0) return { absent: true };
    if (data.result.length > 1)
      return { unavailable: `the query returned ${data.result.length} series; it must aggregate to one` };
    return this.valueOf(data.result[0]?.value[1] ?? 'NaN');
  }

  /** NaN is what PromQL answers for a ratio or quantile over no requests: no traffic, not an error. */
  private valueOf(sample: string): QueryOutcome {
    const value = Number(sample);
    return Number.isFinite(value) ? { value } : { absent: true };
  }
}
