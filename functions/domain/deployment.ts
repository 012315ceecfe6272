import * as z from '../zod.js';
import { environmentSchema, tierSchema } from './catalog.js';
import { requesterSchema, type Requester } from './identity.js';
import { deploymentTriggerSchema } from '../../events/deployment-requested.js';
import type { PlannedWave } from './rollout-plan.js';
import { InvalidTransitionError } from '../errors.js';

export const deploymentStatusSchema = z.enum([
  'QUEUED',
  'AWAITING_APPROVAL',
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'ROLLED_BACK',
  'SUPERSEDED',
  'REJECTED',
  'ABORTED',
]);
export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;

export const waveStatusSchema = z.enum([
  'PENDING',
  'BLOCKED',
  'DEPLOYING',
  'GATING',
  'BAKING',
  'SUCCEEDED',
  'FAILED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'SKIPPED',
]);
export type WaveStatus = z.infer<typeof waveStatusSchema>;

export const waveSchema = z.object({
  region: z.string(),
  cluster: z.string(),
  bakeSeconds: z.number().check(z.int(), z.nonnegative()),
  status: waveStatusSchema,
  digestBefore: z.nullable(z.string()),
  digestAfter: z.nullable(z.string()),
  /** The GitOps commit that put `digestAfter` in place; Argo CD reports it back when synced. */
  gitopsRevision: z.nullable(z.string()),
  startedAt: z.nullable(z.string()),
  endedAt: z.nullable(z.string()),
  reason: z.nullable(z.string()),
});
export type Wave = z.infer<typeof waveSchema>;

export const deploymentSchema = z.object({
  id: z.string(),
  service: z.string(),
  team: z.string(),
  tier: tierSchema,
  environment: environmentSchema,
  version: z.string(),
  imageTag: z.string(),
  gitSha: z.nullable(z.string()),
  digest: z.nullable(z.string()),
  status: deploymentStatusSchema,
  reason: z.nullable(z.string()),
  requestedBy: z.string(),
  /** Everyone who asked for it; none of them may approve it. */
  requesters: z._default(z.array(requesterSchema), []),
  trigger: deploymentTriggerSchema,
  mode: z._default(z.enum(['standard', 'rollback']), 'standard'),
  /** `overridesFreeze` only when platform-team asked: nobody else may deploy through a freeze. */
  override: z._default(
    z.nullable(z.object({ by: z.string(), reason: z.string(), overridesFreeze: z._default(z.boolean(), false) })),
    null,
  ),
  /** BLOCKED waves platform-team released through a freeze or an alarm block, with why. */
  waveOverrides: z._default(
    z.array(z.object({ region: z.string(), by: z.string(), reason: z.string(), at: z.string() })),
    [],
  ),
  /**
   * A rollback returns to what a SUCCEEDED deployment recorded: its id and the digest each region
   * ran at its end. Those digests are deployed as they are; the tag is never resolved again.
   */
  rollbackOf: z._default(
    z.nullable(z.object({ deploymentId: z.string(), version: z.string(), digests: z.record(z.string(), z.string()) })),
    null,
  ),
  /** Set by an abort request; every step checks it and the workflow rolls back. */
  abortRequestedBy: z._default(z.nullable(z.string()), null),
  waves: z.array(waveSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.nullable(z.string()),
  /** Incremented by every write; the store's condition on it is what prevents lost updates. */
  revision: z.number().check(z.int(), z.nonnegative()),
});
export type Deployment = z.infer<typeof deploymentSchema>;

export const deploymentEventSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  message: z.string(),
  region: z.optional(z.string()),
  fromStatus: z.optional(z.string()),
  toStatus: z.optional(z.string()),
});
export type DeploymentEvent = z.infer<typeof deploymentEventSchema>;

/** A change to a deployment together with the audit entry that explains it. */
export interface DeploymentChange {
  deployment: Deployment;
  event: DeploymentEvent;
}

const TERMINAL: ReadonlySet<DeploymentStatus> = new Set([
  'SUCCEEDED',
  'FAILED',
  'ROLLED_BACK',
  'SUPERSEDED',
  'REJECTED',
  'ABORTED',
]);

const DEPLOYMENT_TRANSITIONS: Record<DeploymentStatus, readonly DeploymentStatus[]> = {
  QUEUED: ['AWAITING_APPROVAL', 'IN_PROGRESS', 'SUPERSEDED', 'ABORTED', 'FAILED'],
  AWAITING_APPROVAL: ['IN_PROGRESS', 'REJECTED', 'SUPERSEDED', 'ABORTED', 'FAILED'],
  IN_PROGRESS: ['AWAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'ABORTED'],
  SUCCEEDED: [],
  FAILED: [],
  ROLLED_BACK: [],
  SUPERSEDED: [],
  REJECTED: [],
  ABORTED: [],
};

const WAVE_TRANSITIONS: Record<WaveStatus, readonly WaveStatus[]> = {
  PENDING: ['BLOCKED', 'DEPLOYING', 'SKIPPED'],
  BLOCKED: ['BLOCKED', 'DEPLOYING', 'SKIPPED'],
  DEPLOYING: ['GATING', 'FAILED', 'ROLLING_BACK', 'SKIPPED'],
  GATING: ['BAKING', 'SUCCEEDED', 'FAILED', 'ROLLING_BACK', 'SKIPPED'],
  BAKING: ['SUCCEEDED', 'FAILED', 'ROLLING_BACK', 'SKIPPED'],
  SUCCEEDED: ['ROLLING_BACK'],
  FAILED: ['ROLLING_BACK'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  ROLLED_BACK: [],
  SKIPPED: [],
};

export const isTerminal = (status: DeploymentStatus): boolean => TERMINAL.has(status);

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return DEPLOYMENT_TRANSITIONS[from].includes(to);
}

export function canTransitionWave(from: WaveStatus, to: WaveStatus): boolean {
  return WAVE_TRANSITIONS[from].includes(to);
}

export function newDeployment(request: {
  id: string;
  service: { name: string; team: string; tier: Deployment['tier'] };
  environment: Deployment['environment'];
  version: string;
  imageTag: string;
  gitSha?: string | undefined;
  requestedBy: string;
  requesters?: Requester[] | undefined;
  trigger: Deployment['trigger'];
  mode?: Deployment['mode'];
  override?: Deployment['override'];
  /** A rollback: the known-good release it returns to, whose digest it deploys. */
  rollbackOf?: {
    deploymentId: string;
    version: string;
    digest: string;
    digests: Record<string, string>;
    endedAt: string;
  };
  plan: PlannedWave[];
  now: string;
}): DeploymentChange {
  const deployment: Deployment = {
    id: request.id,
    service: request.service.name,
    team: request.service.team,
    tier: request.service.tier,
    environment: request.environment,
    version: request.version,
    imageTag: request.imageTag,
    gitSha: request.gitSha ?? null,
    digest: request.rollbackOf?.digest ?? null,
    status: 'QUEUED',
    reason: null,
    requestedBy: request.requestedBy,
    requesters: request.requesters ?? [],
    trigger: request.trigger,
    mode: request.mode ?? 'standard',
    override: request.override ?? null,
    waveOverrides: [],
    rollbackOf: request.rollbackOf
      ? {
          deploymentId: request.rollbackOf.deploymentId,
          version: request.rollbackOf.version,
          digests: request.rollbackOf.digests,
        }
      : null,
    abortRequestedBy: null,
    waves: request.plan.map((wave) => ({
      ...wave,
      status: 'PENDING',
      digestBefore: null,
      digestAfter: null,
      gitopsRevision: null,
      startedAt: null,
      endedAt: null,
      reason: null,
    })),
    createdAt: request.now,
    updatedAt: request.now,
    endedAt: null,
    revision: 0,
  };
  const plan = request.plan
    .map((wave) => (wave.bakeSeconds > 0 ? `${wave.region} (bake ${wave.bakeSeconds / 60} min)` : wave.region))
    .join(' → ');
  const overrideNote = request.override ? `; override by ${request.override.by}: ${request.override.reason}` : '';
  const rollback = request.rollbackOf;
  const requestedByNames = request.requesters?.length
    ? [...new Set(request.requesters.map((requester) => requester.name))].join(' and ')
    : request.requestedBy;
  return {
    deployment,
    event: rollback
      ? {
          at: request.now,
          actor: request.requestedBy,
          action: 'deployment.rollback-requested',
          message: `Rollback of ${request.service.name} in ${request.environment} to ${rollback.version}, requested by ${requestedByNames}: the digests ${rollback.deploymentId} recorded when it SUCCEEDED (${Object.entries(
            rollback.digests,
          )
            .map(([region, digest]) => `${region} ${digest}`)
            .join(', ')}); known-good, so no approval and no bake, health gates kept: ${plan}${overrideNote}`,
          toStatus: 'QUEUED',
        }
      : {
          at: request.now,
          actor: request.requestedBy,
          action: 'deployment.requested',
          message: `${request.service.name} ${request.version} to ${request.environment} requested by ${requestedByNames}: ${plan}${overrideNote}`,
          toStatus: 'QUEUED',
        },
  };
}

export function transitionDeployment(
  deployment: Deployment,
  to: DeploymentStatus,
  context: { now: string; actor: string; action: string; message: string; reason?: string },
): DeploymentChange {
  if (!canTransition(deployment.status, to)) {
    throw new InvalidTransitionError(`Deployment ${deployment.id} cannot go from ${deployment.status} to ${to}`);
  }
  const next: Deployment = {
    ...deployment,
    status: to,
    reason: context.reason ?? deployment.reason,
    updatedAt: context.now,
    endedAt: isTerminal(to) ? context.now : null,
    waves: isTerminal(to) ? deployment.waves.map((wave) => skipIfUntouched(wave, context.now)) : deployment.waves,
  };
  return {
    deployment: next,
    event: {
      at: context.now,
      actor: context.actor,
      action: context.action,
      message: context.message,
      fromStatus: deployment.status,
      toStatus: to,
    },
  };
}

function skipIfUntouched(wave: Wave, now: string): Wave {
  return wave.status === 'PENDING' || wave.status === 'BLOCKED' ? { ...wave, status: 'SKIPPED', endedAt: now } : wave;
}

export function findWave(deployment: Deployment, region: string): Wave {
  const wave = deployment.waves.find((candidate) => candidate.region === region);
  if (!wave) throw new InvalidTransitionError(`Deployment ${deployment.id} has no wave for ${region}`);
  return wave;
}

export function transitionWave(
  deployment: Deployment,
  region: string,
  to: WaveStatus,
  context: { now: string; actor: string; action: string; message: string; changes?: Partial<Wave> },
): DeploymentChange {
  const wave = findWave(deployment, region);
  if (!canTransitionWave(wave.status, to)) {
    throw new InvalidTransitionError(`Wave ${region} of ${deployment.id} cannot go from ${wave.status} to ${to}`);
  }
  const ended = to === 'SUCCEEDED' || to === 'FAILED' || to === 'ROLLED_BACK' || to === 'SKIPPED';
  const updated: Wave = {
    ...wave,
    ...context.changes,
    status: to,
    startedAt: wave.startedAt ?? context.now,
    endedAt: ended ? context.now : null,
  };
  return {
    deployment: {
      ...deployment,
      updatedAt: context.now,
      waves: deployment.waves.map((candidate) => (candidate.region === region ? updated : candidate)),
    },
    event: {
      at: context.now,
      actor: context.actor,
      action: context.action,
      message: context.message,
      region,
      fromStatus: wave.status,
      toStatus: to,
    },
  };
}

/**
 * Platform-team lets a BLOCKED wave through its freeze or alarm block. Only a running deployment
 * with a BLOCKED wave can be released; the release is for that region, once, with the reason.
 */
export function releaseBlockedWave(
  deployment: Deployment,
  context: { now: string; by: string; reason: string },
): DeploymentChange {
  if (isTerminal(deployment.status))
    throw new InvalidTransitionError(`Deployment ${deployment.id} already ended ${deployment.status}`);
  const wave = deployment.waves.find((candidate) => candidate.status === 'BLOCKED');
  if (!wave) throw new InvalidTransitionError(`Deployment ${deployment.id} has no BLOCKED wave to release`);
  return {
    deployment: {
      ...deployment,
      updatedAt: context.now,
      waveOverrides: [
        ...deployment.waveOverrides,
        { region: wave.region, by: context.by, reason: context.reason, at: context.now },
      ],
    },
    event: {
      at: context.now,
      actor: context.by,
      action: 'wave.override',
      message: `${context.by} (platform-team) released ${wave.region} through "${wave.reason ?? 'its block'}": ${context.reason}`,
      region: wave.region,
    },
  };
}

export const waveReleased = (deployment: Pick<Deployment, 'waveOverrides'>, region: string): boolean =>
  deployment.waveOverrides.some((override) => override.region === region);

/** Waves whose new digest may already be live, newest first: the order a rollback must undo them. */
export function wavesToRollBack(deployment: Deployment): Wave[] {
  const touched: ReadonlySet<WaveStatus> = new Set(['DEPLOYING', 'GATING', 'BAKING', 'SUCCEEDED', 'FAILED']);
  return deployment.waves.filter((wave) => touched.has(wave.status) && wave.digestAfter !== null).reverse();
}

/**
 * Waves run strictly in plan order: a wave may start only when every earlier wave SUCCEEDED and
 * no wave is failing or being rolled back. This is what keeps a bad release out of the next
 * region even if the orchestrator misbehaves.
 */
export function assertWaveMayStart(deployment: Deployment, region: string): void {
  const index = deployment.waves.findIndex((wave) => wave.region === region);
  if (index < 0) throw new InvalidTransitionError(`Deployment ${deployment.id} has no wave for ${region}`);
  const blocking = deployment.waves.find(
    (wave, position) =>
      (position < index && wave.status !== 'SUCCEEDED') ||
      ['FAILED', 'ROLLING_BACK', 'ROLLED_BACK'].includes(wave.status),
  );
  if (blocking) {
    throw new InvalidTransitionError(
      `Wave ${region} of ${deployment.id} may not start: ${blocking.region} is ${blocking.status}`,
    );
  }
}
