import type { HealthSimulator } from '../../functions/adapters/local/local-adapters.js';
import { PrometheusHealthSource } from '../../functions/adapters/prometheus/prometheus-health-source.js';
import { planRollout } from '../../functions/domain/rollout-plan.js';
import { PROMQL_PRESETS, localPromqlWindowSeconds } from '../../functions/health-settings.js';
import type { GitOpsTarget, HealthSource } from '../../functions/ports/index.js';
import { DEMO_REPOSITORIES } from './demo-catalog.js';

/** Every demo service in every environment and region it rolls out to: each serves traffic from the start. */
export const demoTargets = (): GitOpsTarget[] =>
  DEMO_REPOSITORIES.flatMap((service) =>
    (['hml', 'prod'] as const).flatMap((environment) =>
      planRollout(environment, service.tier).map((wave) => ({
        service: service.name,
        environment,
        region: wave.region,
      })),
    ),
  );

/**
 * What the local gates and bakes read: the simulator itself, or, with a Prometheus URL, PromQL
 * from a Prometheus that scrapes the simulator's `GET /local/sim/metrics` (alarms stay the
 * simulator's, as they stay CloudWatch's on AWS).
 */
export function localHealthSource(
  simulator: HealthSimulator,
  options: { prometheusUrl?: string | undefined; timeScale: number },
): HealthSource {
  if (!options.prometheusUrl) return simulator;
  return new PrometheusHealthSource({
    url: options.prometheusUrl,
    queries: PROMQL_PRESETS['http-requests-total'],
    labels: { service: 'service', environment: 'environment', region: 'region' },
    windowSeconds: localPromqlWindowSeconds(options.timeScale),
    timeoutMs: 5000,
    alarms: simulator,
  });
}
