import {
  findWave,
  isTerminal,
  transitionDeployment,
  transitionWave,
  wavesToRollBack,
  type Deployment,
} from '../domain/deployment.js';
import { DeploymentAbortedError, nameOf } from '../errors.js';
import { lockKey } from '../domain/locking.js';
import type { CatalogStore, Clock, DeploymentStore, GitOpsRepo, LockStore } from '../ports/index.js';
import { WORKFLOW_ACTOR, assertRunnable, loadDeployment } from './deployment-context.js';

/**
 * Marks the deployment SUCCEEDED and frees the lock for the next one. An abort asked for after
 * the last wave's gate is still honoured here, in the same conditional write: the caller was
 * told it rolls back, and a SUCCEEDED deployment is a known-good rollback target.
 */
export async function completeDeployment(
  deps: { deployments: DeploymentStore; locks: LockStore; clock: Clock },
  input: { deploymentId: string },
): Promise<{ deploymentId: string; status: Deployment['status'] }> {
  const deployment = await deps.deployments.update(input.deploymentId, (current) => {
    if (current.status === 'SUCCEEDED') return undefined;
    assertRunnable(current);
    return transitionDeployment(current, 'SUCCEEDED', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: 'deployment.succeeded',
      message: `${current.service} ${current.version} is live in ${current.environment} (${current.waves.map((wave) => wave.region).join(', ')})`,
    });
  });
  await deps.locks.release(lockKey(deployment.service, deployment.environment), deployment.id);
  return { deploymentId: deployment.id, status: deployment.status };
}

export interface WorkflowFailure {
  Error?: string;
  Cause?: string;
}

/** Step Functions wraps a Lambda error's message in a JSON Cause; show people the message. */
export function describeFailure(failure: WorkflowFailure): string {
  const cause = failure.Cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'errorMessage' in parsed &&
      typeof parsed.errorMessage === 'string'
    ) {
      return parsed.errorMessage;
    }
  } catch {
    // A plain-text cause is already readable.
  }
  if (cause) return cause;
  return failure.Error ? (READABLE_ERRORS[failure.Error] ?? failure.Error) : 'unknown failure';
}

/** Step Functions' own errors carry no cause; say what they mean. */
const READABLE_ERRORS: Record<string, string> = {
  'States.Timeout': 'a step timed out',
  'States.HeartbeatTimeout': 'a step stopped sending heartbeats',
  'States.TaskFailed': 'a task failed',
  'States.Runtime': 'the workflow hit a runtime error',
};

/** The regions to restore, newest first. Nothing touched means nothing to restore. */
export async function planRollback(
  deps: { deployments: DeploymentStore },
  input: { deploymentId: string; failure: WorkflowFailure },
): Promise<{ regions: string[] }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  if (isTerminal(deployment.status)) return { regions: [] };
  return { regions: wavesToRollBack(deployment).map((wave) => wave.region) };
}

/**
 * Commits the digest a wave ran before this deployment. A wave with no previous digest (the
 * service's first deploy there) cannot be restored and is marked FAILED.
 */
export async function restoreWave(
  deps: { deployments: DeploymentStore; catalog: CatalogStore; gitops: GitOpsRepo; clock: Clock },
  input: { deploymentId: string; region: string },
): Promise<{ needsSync: boolean }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  const wave = findWave(deployment, input.region);
  if (wave.status === 'ROLLED_BACK') return { needsSync: false };
  if (wave.status === 'ROLLING_BACK' && wave.gitopsRevision) return { needsSync: true };
  const target = { service: deployment.service, environment: deployment.environment, region: input.region };
  const service = await deps.catalog.getService(deployment.service);
  const live = await deps.gitops.readImageDigest(target);
  const now = () => deps.clock.now();
  if (wave.digestBefore === null || !service) {
    await deps.deployments.update(deployment.id, (current) =>
      transitionWave(
        transitionWave(current, input.region, 'ROLLING_BACK', {
          now: now(),
          actor: WORKFLOW_ACTOR,
          action: 'wave.rolling-back',
          message: `Rolling ${input.region} back`,
        }).deployment,
        input.region,
        'FAILED',
        {
          now: now(),
          actor: WORKFLOW_ACTOR,
          action: 'wave.rollback-failed',
          message: `${input.region} had no previous digest to restore: a human must decide what runs there`,
          changes: { reason: 'no previous digest to restore' },
        },
      ),
    );
    return { needsSync: false };
  }
  const revision =
    live === wave.digestBefore
      ? null
      : (
          await deps.gitops.commitImageDigest({
            ...target,
            imageRepository: service.imageRepository,
            digest: wave.digestBefore,
            message: `Roll back ${deployment.service} in ${deployment.environment}/${input.region} to ${wave.digestBefore}\n\nDeployment: ${deployment.id}\nReason: ${deployment.abortRequestedBy ? `aborted by ${deployment.abortRequestedBy}` : (deployment.reason ?? 'failure')}`,
          })
        ).revision;
  await deps.deployments.update(deployment.id, (current) =>
    transitionWave(current, input.region, 'ROLLING_BACK', {
      now: now(),
      actor: WORKFLOW_ACTOR,
      action: 'wave.rolling-back',
      message: revision
        ? `Committed ${wave.digestBefore ?? ''} back for ${input.region} (GitOps ${revision.slice(0, 7)})`
        : `${input.region} already runs ${wave.digestBefore ?? ''}`,
      changes: revision ? { gitopsRevision: revision } : {},
    }),
  );
  return { needsSync: revision !== null };
}

/** Argo CD reports the previous digest synced and healthy again. */
export async function finishWaveRollback(
  deps: { deployments: DeploymentStore; clock: Clock },
  input: { deploymentId: string; region: string },
): Promise<void> {
  await deps.deployments.update(input.deploymentId, (current) =>
    findWave(current, input.region).status !== 'ROLLING_BACK'
      ? undefined
      : transitionWave(current, input.region, 'ROLLED_BACK', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'wave.rolled-back',
          message: `${input.region} is back on ${findWave(current, input.region).digestBefore ?? ''} and healthy`,
        }),
  );
}

/**
 * Ends the deployment after its waves were restored: ABORTED when somebody asked, ROLLED_BACK
 * with the reason otherwise (and the version is marked bad), FAILED when nothing was deployed or
 * a wave could not be restored.
 */
export async function finishRollback(
  deps: { deployments: DeploymentStore; locks: LockStore; clock: Clock },
  input: { deploymentId: string; failure: WorkflowFailure },
): Promise<{ status: Deployment['status'] }> {
  const reason = describeFailure(input.failure);
  const before = await loadDeployment(deps.deployments, input.deploymentId);
  if (isTerminal(before.status)) return { status: before.status };
  const aborted = input.failure.Error === nameOf(DeploymentAbortedError) || before.abortRequestedBy !== null;
  const restored = before.waves.filter((wave) => wave.status === 'ROLLED_BACK').length;
  const unrestorable = before.waves.some((wave) => wave.status === 'FAILED' || wave.status === 'ROLLING_BACK');
  const status = aborted ? 'ABORTED' : unrestorable || restored === 0 ? 'FAILED' : 'ROLLED_BACK';
  const messages = {
    ABORTED: `Aborted by ${before.abortRequestedBy ?? 'request'}${restored > 0 ? `; ${restored} wave(s) restored` : ''}`,
    FAILED: unrestorable
      ? `Failed and could not be fully rolled back: ${reason}`
      : `Failed before anything was deployed: ${reason}`,
    ROLLED_BACK: `Rolled back: ${reason}`,
  } as const;
  const deployment = await deps.deployments.update(input.deploymentId, (current) =>
    isTerminal(current.status)
      ? undefined
      : transitionDeployment(current, status, {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: `deployment.${status.toLowerCase().replace('_', '-')}`,
          message: messages[status],
          reason: aborted ? `aborted by ${before.abortRequestedBy ?? 'request'}` : reason,
        }),
  );
  if (deployment.status === 'ROLLED_BACK') {
    await deps.deployments.markVersionBad({
      service: deployment.service,
      version: deployment.version,
      deploymentId: deployment.id,
      reason,
      at: deps.clock.now(),
    });
  }
  await deps.locks.release(lockKey(deployment.service, deployment.environment), deployment.id);
  return { status: deployment.status };
}

/** The rollback itself failed: end FAILED, keep every wave's state for the human who must step in. */
export async function recordRollbackFailure(
  deps: { deployments: DeploymentStore; locks: LockStore; clock: Clock },
  input: { deploymentId: string; failure: WorkflowFailure },
): Promise<void> {
  const reason = `Rollback failed: ${describeFailure(input.failure)}`;
  const deployment = await deps.deployments.update(input.deploymentId, (current) => {
    if (isTerminal(current.status)) return undefined;
    const stuck = current.waves.filter((wave) => wave.status === 'ROLLING_BACK');
    const withWavesFailed = stuck.reduce(
      (acc, wave) =>
        transitionWave(acc, wave.region, 'FAILED', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'wave.rollback-failed',
          message: reason,
          changes: { reason },
        }).deployment,
      current,
    );
    return transitionDeployment(withWavesFailed, 'FAILED', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: 'deployment.rollback-failed',
      message: `${reason}. A human must restore the previous digests.`,
      reason,
    });
  });
  await deps.locks.release(lockKey(deployment.service, deployment.environment), deployment.id);
}
