import { createHash } from 'node:crypto';
import { ENV, LOCAL_DEFAULTS, optionalEnv } from '../../config.js';
import { SimulatedTraffic, type TrafficShape } from './simulated-traffic.js';
import type {
  ArtifactRegistry,
  Clock,
  GitOpsTarget,
  HealthSignals,
  HealthSource,
  MetricsRecorder,
  SecretName,
  SecretsProvider,
} from '../../ports/index.js';

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

const targetKey = (target: { service: string; environment: string; region: string }) =>
  `${target.service}/${target.environment}/${target.region}`;

/**
 * What `POST /local/sim/health` and `POST /local/sim/alarm` scripted. Unscripted services are
 * healthy with a small error rate and latency well within every tier. What it simulates is also
 * served as Prometheus metrics (`GET /local/sim/metrics`), so a real Prometheus can scrape it and
 * the gates can read it back through PromQL.
 */
export class HealthSimulator implements HealthSource {
  private readonly health = new Map<string, SimulatedHealth>();
  private readonly alarms = new Map<string, Set<string>>();
  private readonly traffic: SimulatedTraffic;

  /** `windowSeconds`: the window, in real seconds, that `requestCount` is the traffic of. */
  constructor(options: { windowSeconds: number } = { windowSeconds: 300 }) {
    this.traffic = new SimulatedTraffic(options.windowSeconds);
  }

  /** Starts serving default traffic for these targets, so they have metrics before anyone scripts them. */
  serve(targets: GitOpsTarget[]): void {
    for (const target of targets) this.traffic.serve(target, this.shapeOf(target));
  }

  setHealth(target: GitOpsTarget, health: SimulatedHealth): void {
    this.health.set(targetKey(target), health);
    this.traffic.serve(target, this.shapeOf(target));
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
    const shape = this.shapeOf(target);
    return Promise.resolve({
      errorRate: shape.errorRate,
      p99Ms: shape.p99Ms,
      requestCount: shape.requestsPerWindow,
      // As CloudWatchHealthSource reads them: alarms named `{service}-{environment}-…` only.
      alarmsInAlarm: [...(this.alarms.get(`${target.service}/${target.region}`) ?? [])].filter((name) =>
        name.startsWith(`${target.service}-${target.environment}-`),
      ),
    });
  }

  /** The Prometheus text exposition of every target's traffic so far. */
  metrics(): string {
    return this.traffic.exposition();
  }

  private shapeOf(target: GitOpsTarget): TrafficShape {
    const health = this.healthOf(target);
    const healthyDefaults = { errorRate: 0.00001, p99Ms: 42, requestCount: 25_000 };
    return {
      errorRate: health.errorRate ?? (health.healthy ? healthyDefaults.errorRate : 0.05),
      p99Ms: health.p99Ms ?? (health.healthy ? healthyDefaults.p99Ms : 2500),
      requestsPerWindow: health.requestCount ?? healthyDefaults.requestCount,
    };
  }
}

/** Metrics kept in memory: what the dashboard would show, readable by tests and benchmarks. */
export class RecordingMetrics implements MetricsRecorder {
  readonly points: {
    name: string;
    value: number;
    unit: 'Count' | 'Milliseconds';
    dimensions: Record<string, string>;
  }[] = [];

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
      cursorKey: [ENV.cursorKey, LOCAL_DEFAULTS.cursorKey],
    };
    const [variable, fallback] = variables[name];
    return Promise.resolve(optionalEnv(variable, fallback, this.env));
  }
}

export const systemClock: Clock = { now: () => new Date().toISOString() };
