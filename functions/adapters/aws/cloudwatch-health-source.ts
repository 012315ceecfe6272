import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { GitOpsTarget, HealthSignals, HealthSource } from '../../ports/index.js';

/** Metrics every service publishes for Flightplan's gates (documented in README, "Health signals"). */
export const HEALTH_METRICS_NAMESPACE = 'Flightplan/Services';
const WINDOW_SECONDS = 300;

/** What each metric contributes, and how it is aggregated over the window. */
const METRICS = [
  { name: 'ErrorRate', id: 'errorrate', stat: 'Average' },
  { name: 'LatencyP99', id: 'latencyp99', stat: 'Maximum' },
  // Bakes need enough traffic to mean something: too few requests is inconclusive, never a pass.
  { name: 'RequestCount', id: 'requestcount', stat: 'Sum' },
] as const;

/**
 * Health in one region: alarms named `{service}-{environment}-…` that are in ALARM, and the
 * service's error rate, p99 latency and request count over the last five minutes.
 */
export class CloudWatchHealthSource implements HealthSource {
  private readonly clients = new Map<string, CloudWatchClient>();

  constructor(
    private readonly clientFor: (region: string) => CloudWatchClient = (region) => new CloudWatchClient({ region }),
  ) {}

  async observe(target: GitOpsTarget): Promise<HealthSignals> {
    const client = this.client(target.region);
    const [alarms, metrics] = await Promise.all([
      client.send(
        new DescribeAlarmsCommand({ AlarmNamePrefix: `${target.service}-${target.environment}-`, StateValue: 'ALARM' }),
      ),
      client.send(
        new GetMetricDataCommand({
          StartTime: new Date(Date.now() - WINDOW_SECONDS * 1000),
          EndTime: new Date(),
          MetricDataQueries: METRICS.map((metric) => ({
            Id: metric.id,
            MetricStat: {
              Metric: {
                Namespace: HEALTH_METRICS_NAMESPACE,
                MetricName: metric.name,
                Dimensions: [
                  { Name: 'Service', Value: target.service },
                  { Name: 'Environment', Value: target.environment },
                ],
              },
              Period: WINDOW_SECONDS,
              Stat: metric.stat,
            },
          })),
        }),
      ),
    ]);
    const latest = (id: string): number | undefined =>
      metrics.MetricDataResults?.find((result) => result.Id === id)?.Values?.[0];
    const errorRate = latest('errorrate');
    const p99Ms = latest('latencyp99');
    const requestCount = latest('requestcount');
    return {
      alarmsInAlarm: [...(alarms.MetricAlarms ?? []), ...(alarms.CompositeAlarms ?? [])].flatMap((alarm) =>
        alarm.AlarmName ? [alarm.AlarmName] : [],
      ),
      ...(errorRate === undefined ? {} : { errorRate }),
      ...(p99Ms === undefined ? {} : { p99Ms }),
      ...(requestCount === undefined ? {} : { requestCount }),
    };
  }

  private client(region: string): CloudWatchClient {
    let client = this.clients.get(region);
    if (!client) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    return client;
  }
}
