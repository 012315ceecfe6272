import {
  DescribeAlarms$,
  GetMetricData$,
  PutMetricData$,
  type DescribeAlarmsCommandInput,
  type DescribeAlarmsCommandOutput,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricAlarm,
  type MetricDatum,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { HEALTH_METRICS_NAMESPACE } from '../../../functions/adapters/aws/cloudwatch-health-source.js';
import { HealthSimulator } from '../../../functions/adapters/local/local-adapters.js';
import { environmentSchema } from '../../../functions/domain/catalog.js';
import type { HealthSignals } from '../../../functions/ports/index.js';
import { operation, serveAwsJson, type AwsCallAuthorizer } from './aws-json-rpc.js';
import type { RunningService } from './http.js';

export interface CloudWatchOptions {
  /** The simulated health `POST /local/sim/health` and `/local/sim/alarm` script; a fresh one when absent. */
  health?: HealthSimulator;
  /** Account in alarm ARNs. */
  account?: string;
  authorize?: AwsCallAuthorizer;
  onError?: (error: unknown) => void;
  port?: number;
}

export interface RecordedMetricData {
  region: string;
  namespace: string;
  data: MetricDatum[];
}

export interface RunningCloudWatch extends RunningService {
  health: HealthSimulator;
  /** What PutMetricData received, oldest first. */
  metricData: RecordedMetricData[];
}

/** Which HealthSignals field answers each metric the health gates read. */
const SIGNAL_OF_METRIC: Record<string, keyof Omit<HealthSignals, 'alarmsInAlarm'>> = {
  ErrorRate: 'errorRate',
  LatencyP99: 'p99Ms',
  RequestCount: 'requestCount',
};

/** The alarm prefix the health source asks for: `{service}-{environment}-`. */
const ALARM_PREFIX = /^(.+)-([a-z]+)-$/u;

/**
 * CloudWatch as the SDK (AWS JSON 1.0, awsQuery-compatible) speaks it, answering from the same
 * HealthSimulator the local runtime uses. The region is the one the client signed for, so each
 * workload region has its own health, as on AWS.
 */
export async function startCloudWatch(options: CloudWatchOptions = {}): Promise<RunningCloudWatch> {
  const health = options.health ?? new HealthSimulator();
  const account = options.account ?? '123456789012';
  const metricData: RecordedMetricData[] = [];
  const running = await serveAwsJson({
    iamPrefix: 'cloudwatch',
    targetPrefix: 'GraniteServiceVersion20100801',
    operations: {
      DescribeAlarms: operation<DescribeAlarmsCommandInput, Omit<DescribeAlarmsCommandOutput, '$metadata'>>({
        schema: DescribeAlarms$,
        // DescribeAlarms has no resource-level permissions: IAM evaluates it against `*`.
        resources: () => ['*'],
        handle: async (input, caller) => {
          const wantsMetricAlarms = !input.AlarmTypes || input.AlarmTypes.includes('MetricAlarm');
          const alarms =
            wantsMetricAlarms && input.StateValue !== 'OK' && input.StateValue !== 'INSUFFICIENT_DATA'
              ? await simulatedAlarms(health, input, caller.region)
              : [];
          return {
            MetricAlarms: alarms.map((alarmName): MetricAlarm => ({
              AlarmName: alarmName,
              AlarmArn: `arn:aws:cloudwatch:${caller.region}:${account}:alarm:${alarmName}`,
              StateValue: 'ALARM',
              StateReason: 'Set by POST /local/sim/alarm',
              StateUpdatedTimestamp: new Date(),
              ActionsEnabled: true,
            })),
            CompositeAlarms: [],
          };
        },
      }),
      GetMetricData: operation<GetMetricDataCommandInput, Omit<GetMetricDataCommandOutput, '$metadata'>>({
        schema: GetMetricData$,
        handle: async (input, caller) => {
          const at = input.EndTime ?? new Date();
          const results = await Promise.all(
            (input.MetricDataQueries ?? []).map(async (query) => {
              const metric = query.MetricStat?.Metric;
              const dimension = (name: string) =>
                metric?.Dimensions?.find((candidate) => candidate.Name === name)?.Value;
              const environment = environmentSchema.safeParse(dimension('Environment'));
              const service = dimension('Service');
              const signal = metric?.MetricName === undefined ? undefined : SIGNAL_OF_METRIC[metric.MetricName];
              const observed =
                metric?.Namespace === HEALTH_METRICS_NAMESPACE && service && environment.success && signal
                  ? (await health.observe({ service, environment: environment.data, region: caller.region }))[signal]
                  : undefined;
              const value = typeof observed === 'number' ? observed : undefined;
              return {
                Id: query.Id,
                Label: query.Label ?? metric?.MetricName,
                StatusCode: 'Complete' as const,
                Timestamps: value === undefined ? [] : [at],
                Values: value === undefined ? [] : [value],
              };
            }),
          );
          return { MetricDataResults: results, Messages: [] };
        },
      }),
      PutMetricData: operation<PutMetricDataCommandInput, object>({
        schema: PutMetricData$,
        handle: (input, caller) => {
          metricData.push({ region: caller.region, namespace: input.Namespace ?? '', data: input.MetricData ?? [] });
          return {};
        },
      }),
    },
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  return { ...running, health, metricData };
}

/**
 * The simulator keeps alarms per service and region and answers those named for the asked
 * environment (`{service}-{environment}-…`), as `npm start` reads them. Names asked for
 * explicitly are answered when they are in ALARM there.
 */
async function simulatedAlarms(
  health: HealthSimulator,
  input: DescribeAlarmsCommandInput,
  region: string,
): Promise<string[]> {
  const match = ALARM_PREFIX.exec(input.AlarmNamePrefix ?? '');
  const environment = environmentSchema.safeParse(match?.[2]);
  if (!match?.[1] || !environment.success) return [];
  const { alarmsInAlarm } = await health.observe({ service: match[1], environment: environment.data, region });
  return input.AlarmNames && input.AlarmNames.length > 0
    ? alarmsInAlarm.filter((name) => input.AlarmNames?.includes(name))
    : alarmsInAlarm;
}
