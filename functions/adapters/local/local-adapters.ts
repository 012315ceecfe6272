import { createHash } from 'node:crypto';
import { ENV, LOCAL_DEFAULTS, optionalEnv } from '../../config.js';
import type { ArtifactRegistry, Clock, GitOpsTarget, HealthSignals, HealthSource, MetricsRecorder, SecretName, SecretsProvider } from '../../ports/index.js';

/** Every tag exists and always maps to the same digest, as if CI had pushed it. */
export class DeterministicArtifactRegistry implements ArtifactRegistry {
  resolveDigest(repository: string, tag: string): Promise<string> {
    return Promise.resolve(`sha256:${createHash('sha256').update(`${repository}:${tag}`).digest('hex')}`);
  }
}

export interface SimulatedHealth {
  healthy: boolean;
  errorRate?: number;
  p99Ms?: number;
  requestCount?: number;
}

const targetKey = (target: { service: string; environment: string; region: string }) => `${target.service}/${target.environment}/${target.region}`;

/**
 * What `POST /local/sim/health` and `POST /local/sim/alarm` scripted. Unscripted services are
 * healthy with a small error rate and latency well within every tier.
 */
export class HealthSimulator implements HealthSource {
  private readonly health = new Map<string, SimulatedHealth>();
  private readonly alarms = new Map<string, Set<string>>();

  setHealth(target: GitOpsTarget, health: SimulatedHealth): void {
    this.health.set(targetKey(target), health);
  }

  healthOf(target: GitOpsTarget): SimulatedHealth {
    return this.health.get(targetKey(target)) ?? { healthy: true };
  }

  setAlarm(service: string, region: string, alarmName: string, inAlarm: boolean): void {
    const key = `${service}/${region}`;
    const alarms = this.alarms.get(key) ?? new Set<string>();
    if (inAlarm) alarms.add(alarmName);
    else alarms.delete(alarmName);
    this.alarms.set(key, alarms);
  }

  observe(target: GitOpsTarget): Promise<HealthSignals> {
    const health = this.healthOf(target);
    const healthyDefaults = { errorRate: 0.00001, p99Ms: 42, requestCount: 25_000 };
    return Promise.resolve({
      errorRate: health.errorRate ?? (health.healthy ? healthyDefaults.errorRate : 0.05),
      p99Ms: health.p99Ms ?? (health.healthy ? healthyDefaults.p99Ms : 2500),
      requestCount: health.requestCount ?? healthyDefaults.requestCount,
      // As CloudWatchHealthSource reads them: alarms named `{service}-{environment}-…` only.
      alarmsInAlarm: [...(this.alarms.get(`${target.service}/${target.region}`) ?? [])].filter((name) => name.startsWith(`${target.service}-${target.environment}-`)),
    });
  }
}

/** Metrics kept in memory: what the dashboard would show, readable by tests and benchmarks. */
export class RecordingMetrics implements MetricsRecorder {
  readonly points: { name: string; value: number; unit: 'Count' | 'Milliseconds'; dimensions: Record<string, string> }[] = [];

  count(name: string, dimensions: Record<string, string>): void {
    this.points.push({ name, value: 1, unit: 'Count', dimensions });
  }

  milliseconds(name: string, value: number, dimensions: Record<string, string>): void {
    this.points.push({ name, value, unit: 'Milliseconds', dimensions });
  }

}

/** Local secrets come from the environment, with the documented defaults. */
export class EnvironmentSecrets implements SecretsProvider {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  get(name: SecretName): Promise<string> {
    const variables: Record<SecretName, [string, string]> = {
      slackBotToken: ['FLIGHTPLAN_SLACK_BOT_TOKEN', 'xoxb-local'],
      githubWebhookSecret: [ENV.githubWebhookSecret, LOCAL_DEFAULTS.githubWebhookSecret],
      argocdToken: [ENV.argocdToken, LOCAL_DEFAULTS.argocdToken],
      slackSigningSecret: [ENV.slackSigningSecret, LOCAL_DEFAULTS.slackSigningSecret],
    };
    const [variable, fallback] = variables[name];
    return Promise.resolve(optionalEnv(variable, fallback, this.env));
  }
}

export const systemClock: Clock = { now: () => new Date().toISOString() };
