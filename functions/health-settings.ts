import * as z from './zod.js';
import { ENV } from './config.js';
import { environmentSchema, type Environment } from './domain/catalog.js';

/**
 * Where each environment's health comes from, and which AWS account each environment runs in.
 * The CDK app validates both at synth (context `flightplan:healthSources` and
 * `flightplan:workloadAccounts`) and hands them to the health functions as JSON in
 * FLIGHTPLAN_HEALTH_SOURCES and FLIGHTPLAN_WORKLOAD_ACCOUNTS; the same schemas parse them at cold start.
 */

/** The role each workload account's stack creates, and the health functions assume. */
export const HEALTH_READER_ROLE_NAME = 'FlightplanHealthReader';

export const healthReaderRoleArn = (account: string): string =>
  `arn:aws:iam::${account}:role/${HEALTH_READER_ROLE_NAME}`;

const accountId = z.string().check(z.regex(/^\d{12}$/u, 'an AWS account id is 12 digits'));
const secretArn = z.string().check(z.regex(/^arn:aws[\w-]*:secretsmanager:/u, 'a Secrets Manager secret ARN'));

export const workloadAccountSchema = z.strictObject({
  account: accountId,
  regions: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
});
export const workloadAccountsSchema = z.strictObject({ hml: workloadAccountSchema, prod: workloadAccountSchema });
export type WorkloadAccounts = z.infer<typeof workloadAccountsSchema>;

/** PromQL for the three signals. `$selector`, `$window`, `$service`, `$environment` and `$region` are filled in per query. */
export const promqlTemplatesSchema = z.strictObject({
  errorRate: z.string().check(z.minLength(1)),
  p99Ms: z.string().check(z.minLength(1)),
  requestCount: z.string().check(z.minLength(1)),
});
export type PromqlTemplates = z.infer<typeof promqlTemplatesSchema>;

/** Metric shapes with ready-made queries; see README, "Health sources". */
export const PROMQL_PRESETS = {
  /** Prometheus client libraries: `http_requests_total{code}` and `http_request_duration_seconds` histogram. */
  'http-requests-total': {
    errorRate:
      '(sum(rate(http_requests_total{$selector,code=~"5.."}[$window])) or vector(0)) / sum(rate(http_requests_total{$selector}[$window]))',
    p99Ms:
      'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{$selector}[$window]))) * 1000',
    requestCount: 'sum(increase(http_requests_total{$selector}[$window]))',
  },
  /** Micrometer (Spring Boot) with `percentiles-histogram` on: `http_server_requests_seconds{status}`. */
  micrometer: {
    errorRate:
      '(sum(rate(http_server_requests_seconds_count{$selector,status=~"5.."}[$window])) or vector(0)) / sum(rate(http_server_requests_seconds_count{$selector}[$window]))',
    p99Ms:
      'histogram_quantile(0.99, sum by (le) (rate(http_server_requests_seconds_bucket{$selector}[$window]))) * 1000',
    requestCount: 'sum(increase(http_server_requests_seconds_count{$selector}[$window]))',
  },
} as const satisfies Record<string, PromqlTemplates>;

const prometheusAuthSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  /** The secret is the token itself (Mimir behind a gateway, Grafana Cloud access policy token). */
  z.strictObject({ type: z.literal('bearer'), secretArn }),
  /** The secret is JSON `{"username": …, "password": …}` (Grafana Cloud: instance id and token). */
  z.strictObject({ type: z.literal('basic'), secretArn }),
  /** Amazon Managed Prometheus: requests signed for `aps` in the workspace's region. */
  z.strictObject({ type: z.literal('sigv4'), region: z.string().check(z.minLength(1)) }),
]);
export type PrometheusAuth = z.infer<typeof prometheusAuthSchema>;

export const prometheusSourceSchema = z.strictObject({
  type: z.literal('prometheus'),
  /** Base URL of the Prometheus HTTP API: `/api/v1/query` is appended. */
  url: z.url(),
  auth: z._default(prometheusAuthSchema, { type: 'none' }),
  /** A preset name, or the three PromQL templates. */
  queries: z._default(
    z.union([z.enum(Object.keys(PROMQL_PRESETS) as [keyof typeof PROMQL_PRESETS]), promqlTemplatesSchema]),
    'http-requests-total',
  ),
  /** The label names that carry service, environment and region in `$selector`. */
  labels: z._default(
    z.strictObject({
      service: z.string().check(z.minLength(1)),
      environment: z.string().check(z.minLength(1)),
      region: z.string().check(z.minLength(1)),
    }),
    { service: 'service', environment: 'environment', region: 'region' },
  ),
  windowSeconds: z._default(z.number().check(z.int(), z.positive()), 300),
  timeoutSeconds: z._default(z.number().check(z.positive(), z.lte(20)), 5),
});
export type PrometheusSourceSettings = z.infer<typeof prometheusSourceSchema>;

export const healthSourceSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('cloudwatch') }),
  prometheusSourceSchema,
]);
export type HealthSourceSettings = z.infer<typeof healthSourceSchema>;

/** Per environment; an environment left out reads CloudWatch, as before. */
export const healthSourcesSchema = z.partialRecord(environmentSchema, healthSourceSchema);
export type HealthSources = Record<Environment, HealthSourceSettings>;

export function templatesOf(settings: PrometheusSourceSettings): PromqlTemplates {
  return typeof settings.queries === 'string' ? PROMQL_PRESETS[settings.queries] : settings.queries;
}

/** Every environment's source, CloudWatch where none is configured. */
export function parseHealthSources(value: unknown): HealthSources {
  const configured = healthSourcesSchema.parse(value ?? {});
  return { hml: configured.hml ?? { type: 'cloudwatch' }, prod: configured.prod ?? { type: 'cloudwatch' } };
}

function jsonVariable<T>(
  name: string,
  env: NodeJS.ProcessEnv,
  parse: (value: unknown) => T,
  example: string,
): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return parse(JSON.parse(raw));
  } catch (error) {
    throw new Error(`Environment variable ${name} must be JSON like ${example}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export function healthSourcesFrom(env: NodeJS.ProcessEnv): HealthSources {
  return (
    jsonVariable(
      ENV.healthSources,
      env,
      parseHealthSources,
      '{"hml": {"type": "prometheus", "url": "https://…"}, "prod": {"type": "cloudwatch"}}',
    ) ?? parseHealthSources({})
  );
}

/** Absent: everything runs in the control plane's account, read with the function's own role. */
export function workloadAccountsFrom(env: NodeJS.ProcessEnv): WorkloadAccounts | undefined {
  return jsonVariable(
    ENV.workloadAccounts,
    env,
    (value) => workloadAccountsSchema.parse(value),
    '{"hml": {"account": "111111111111", "regions": ["us-east-1"]}, "prod": {…}}',
  );
}

const LOCAL_WINDOW_SECONDS = 300;
/** A rate over fewer than about five scrapes (one a second locally) is noise. */
const LOCAL_MIN_WINDOW_SECONDS = 5;

/**
 * The PromQL window locally: five minutes scaled by FLIGHTPLAN_TIME_SCALE, but never shorter than
 * a few scrapes. The health simulator serves its counters at the rate that makes a query over this
 * window answer what was simulated.
 */
export function localPromqlWindowSeconds(timeScale: number): number {
  return Math.max(Math.ceil(LOCAL_WINDOW_SECONDS / timeScale), LOCAL_MIN_WINDOW_SECONDS);
}
