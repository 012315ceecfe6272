import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsRecorder } from '../../ports/index.js';

export const METRICS_NAMESPACE = 'Flightplan';

/** Business metrics as CloudWatch embedded metric format (EMF), through Powertools Metrics. */
export class PowertoolsMetrics implements MetricsRecorder {
  private readonly metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'flightplan' });

  count(name: string, dimensions: Record<string, string>): void {
    this.single(dimensions).addMetric(name, MetricUnit.Count, 1);
  }

  milliseconds(name: string, value: number, dimensions: Record<string, string>): void {
    this.single(dimensions).addMetric(name, MetricUnit.Milliseconds, value);
  }

  /** Each data point is its own EMF line, written at once: no dimension sets mix, nothing waits for a flush. */
  private single(dimensions: Record<string, string>): Metrics {
    const metric = this.metrics.singleMetric();
    for (const [name, value] of Object.entries(dimensions)) metric.addDimension(name, value);
    return metric;
  }
}
