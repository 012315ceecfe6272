import * as z from '../zod.js';
import { environmentSchema, type Environment } from './catalog.js';

export const ARGO_LABELS = {
  service: 'flightplan.io/service',
  environment: 'flightplan.io/environment',
  region: 'flightplan.io/region',
} as const;

/**
 * The JSON body the argocd-notifications templates in `integrations/argocd/` send. Empty strings
 * are what Go templates print for absent fields.
 */
export const argoNotificationSchema = z.object({
  app: z.string().check(z.minLength(1)),
  project: z.optional(z.string()),
  event: z.string().check(z.minLength(1)),
  labels: z._default(z.nullable(z.record(z.string(), z.string())), {}),
  revision: z.string().check(z.minLength(1)),
  syncStatus: z.string().check(z.minLength(1)),
  healthStatus: z.string().check(z.minLength(1)),
  operationPhase: z.pipe(
    z.optional(z.string()),
    z.transform((phase) => phase || undefined),
  ),
  timestamp: z.iso.datetime({ offset: true }),
});
export type ArgoNotification = z.infer<typeof argoNotificationSchema>;

export type ArgoTarget = { service: string; environment: z.infer<typeof environmentSchema>; region: string };

/** Which Flightplan deployment target an Argo CD application is, from its labels. */
export function argoTargetOf(notification: ArgoNotification): ArgoTarget | { ignored: string } {
  const labels = notification.labels ?? {};
  const environment = environmentSchema.safeParse(labels[ARGO_LABELS.environment]);
  const service = labels[ARGO_LABELS.service];
  const region = labels[ARGO_LABELS.region];
  if (!service || !region || !environment.success) {
    return { ignored: `application ${notification.app} has no ${Object.values(ARGO_LABELS).join(', ')} labels` };
  }
  return { service, environment: environment.data, region };
}

/** What an Argo CD notification says about one wave, as far as a bake is concerned. */
export interface ArgoEvidence {
  app: string;
  revision: string;
  observedAt: string;
}

export type EvidenceVerdict = { about: 'this-wave' } | { about: 'something-else'; reason: string };

/**
 * Bad news fails a bake only when it is about the wave being baked: from the application the wave
 * deploys, at the GitOps revision the wave committed, observed after the wave started, and not
 * overtaken by newer news already recorded. A stale notification (another revision, older than
 * the wave, or older than what Argo CD said since) or one from another application that carries
 * the same labels is not evidence against this wave.
 */
export function judgeBakeEvidence(
  wave: { gitopsRevision: string | null; startedAt: string | null },
  expectedApp: string,
  evidence: ArgoEvidence,
  /** `overtaken`: newer news about the application was already recorded (it arrived out of order). */
  options: { overtaken: boolean } = { overtaken: false },
): EvidenceVerdict {
  if (evidence.app !== expectedApp) {
    return {
      about: 'something-else',
      reason: `application ${evidence.app} is not ${expectedApp}, the application this wave deploys`,
    };
  }
  if (wave.gitopsRevision === null || evidence.revision !== wave.gitopsRevision) {
    return {
      about: 'something-else',
      reason: `revision ${evidence.revision.slice(0, 12)} is not the wave's GitOps revision ${(wave.gitopsRevision ?? 'none').slice(0, 12)}`,
    };
  }
  if (wave.startedAt === null || Date.parse(evidence.observedAt) < Date.parse(wave.startedAt)) {
    return {
      about: 'something-else',
      reason: `observed at ${evidence.observedAt}, before the wave started (${wave.startedAt ?? 'not started'})`,
    };
  }
  if (options.overtaken) {
    return {
      about: 'something-else',
      reason: `observed at ${evidence.observedAt}, older than the latest Argo CD news recorded for ${expectedApp}`,
    };
  }
  return { about: 'this-wave' };
}

/** One Argo CD installation: the token its notifications carry and the regions it may report on. */
export interface ArgoCluster {
  name: string;
  /** `*` for any region: the single default token. */
  regions: string[] | '*';
  environments: Environment[] | '*';
}

const argoClustersSchema = z.record(
  z.string().check(z.minLength(1)),
  z.object({
    token: z.string().check(z.minLength(16, 'a cluster token needs at least 16 characters')),
    regions: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
    environments: z.optional(z.array(environmentSchema).check(z.minLength(1))),
  }),
);

/**
 * The Argo CD token setting (`FLIGHTPLAN_ARGOCD_TOKEN` locally, the ArgocdToken secret on AWS) is
 * either one token that may report on every region (the local default), or a JSON object with a
 * token per cluster and the regions (and, optionally, environments) that cluster runs:
 * `{"eks-prod-use1": {"token": "…", "regions": ["us-east-1"], "environments": ["prod"]}}`.
 * Returns each cluster with its token; throws when the JSON is malformed, so a typo never
 * silently turns into a single token.
 */
export function parseArgoClusters(setting: string): { token: string; cluster: ArgoCluster }[] {
  const trimmed = setting.trim();
  if (!trimmed.startsWith('{'))
    return [{ token: trimmed, cluster: { name: 'default', regions: '*', environments: '*' } }];
  const parsed = argoClustersSchema.safeParse(JSON.parse(trimmed));
  // A plain Error, not a ZodError: a broken setting is Flightplan's fault, never the caller's 400.
  if (!parsed.success)
    throw new Error(
      `The Argo CD token setting is not a cluster map: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  return Object.entries(parsed.data).map(([name, entry]) => ({
    token: entry.token,
    cluster: { name, regions: entry.regions, environments: entry.environments ?? '*' },
  }));
}

/** Why `cluster` may not report on `target`, or undefined when it may. */
export function clusterMayNotReport(cluster: ArgoCluster, target: ArgoTarget): string | undefined {
  if (cluster.regions !== '*' && !cluster.regions.includes(target.region)) {
    return `cluster ${cluster.name} may report on ${cluster.regions.join(', ')}, not ${target.region}`;
  }
  if (cluster.environments !== '*' && !cluster.environments.includes(target.environment)) {
    return `cluster ${cluster.name} may report on ${cluster.environments.join(', ')}, not ${target.environment}`;
  }
  return undefined;
}
