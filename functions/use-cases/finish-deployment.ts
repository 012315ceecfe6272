import { isTerminal, transitionDeployment, transitionWave, wavesToRollBack, type Deployment } from '../domain/deployment.js';
import { lockKey } from '../domain/locking.js';
import type { CatalogStore, Clock, DeploymentStore, GitOpsRepo, LockStore } from '../ports/index.js';
import { WORKFLOW_ACTOR, loadDeployment } from './deployment-context.js';

/** Marks the deployment SUCCEEDED and frees the lock for the next one. */
export async function completeDeployment(
  deps: { deployments: DeploymentStore; locks: LockStore; clock: Clock },
  input: { deploymentId: string },
): Promise<{ deploymentId: string; status: Deployment['status'] }> {
  const deployment = await deps.deployments.update(input.deploymentId, (current) =>
    current.status === 'SUCCEEDED'
      ? undefined
      : transitionDeployment(current, 'SUCCEEDED', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'deployment.succeeded',
          message: `${current.service} ${current.version} is live in ${current.environment} (${current.waves.map((wave) => wave.region).join(', ')})`,
        }),
  );
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
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      return parsed.errorMessage;
    }
  } catch {
    // A plain-text cause is already readable.
  }
  return cause || failure.Error || 'unknown failure';
}

/**
 * Puts every wave this deployment touched back on the digest it ran before, newest wave first,
 * and ends the deployment ROLLED_BACK with the reason. A wave with no previous digest (the
 * service's first deploy there) cannot be restored: the deployment then ends FAILED.
 */
export async function rollBackDeployment(
  deps: { deployments: DeploymentStore; catalog: CatalogStore; gitops: GitOpsRepo; locks: LockStore; clock: Clock },
  input: { deploymentId: string; failure: WorkflowFailure },
): Promise<{ deploymentId: string; status: Deployment['status'] }> {
  const reason = describeFailure(input.failure);
  let deployment = await loadDeployment(deps.deployments, input.deploymentId);
  if (isTerminal(deployment.status)) return { deploymentId: deployment.id, status: deployment.status };
  const service = await deps.catalog.getService(deployment.service);
  const touched = wavesToRollBack(deployment);
  let unrestorable = 0;

  for (const wave of touched) {
    const target = { service: deployment.service, environment: deployment.environment, region: wave.region };
    deployment = await deps.deployments.update(deployment.id, (current) =>
      transitionWave(current, wave.region, 'ROLLING_BACK', {
        now: deps.clock.now(),
        actor: WORKFLOW_ACTOR,
        action: 'wave.rolling-back',
        message: `Rolling ${wave.region} back to ${wave.digestBefore ?? 'nothing (first deploy)'}`,
      }),
    );
    const live = await deps.gitops.readImageDigest(target);
    const restorable = wave.digestBefore !== null && service !== undefined;
    if (wave.digestBefore !== null && service && live !== wave.digestBefore) {
      await deps.gitops.commitImageDigest({
        ...target,
        imageRepository: service.imageRepository,
        digest: wave.digestBefore,
        message: `Roll back ${deployment.service} in ${deployment.environment}/${wave.region} to ${wave.digestBefore}\n\nDeployment: ${deployment.id}\nReason: ${reason}`,
      });
    }
    if (!restorable) unrestorable += 1;
    deployment = await deps.deployments.update(deployment.id, (current) =>
      transitionWave(current, wave.region, restorable ? 'ROLLED_BACK' : 'FAILED', {
        now: deps.clock.now(),
        actor: WORKFLOW_ACTOR,
        action: restorable ? 'wave.rolled-back' : 'wave.rollback-failed',
        message: restorable
          ? `${wave.region} is back on ${wave.digestBefore ?? ''}`
          : `${wave.region} had no previous digest to restore`,
      }),
    );
  }

  // Nothing touched means nothing was rolled back: the deployment simply failed.
  const finalStatus = touched.length > 0 && unrestorable === 0 ? 'ROLLED_BACK' : 'FAILED';
  deployment = await deps.deployments.update(deployment.id, (current) =>
    isTerminal(current.status)
      ? undefined
      : transitionDeployment(current, finalStatus, {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: finalStatus === 'ROLLED_BACK' ? 'deployment.rolled-back' : 'deployment.failed',
          message: finalStatus === 'ROLLED_BACK' ? `Rolled back: ${reason}` : `Failed and could not be fully rolled back: ${reason}`,
          reason,
        }),
  );
  await deps.locks.release(lockKey(deployment.service, deployment.environment), deployment.id);
  return { deploymentId: deployment.id, status: deployment.status };
}
