import { decideLockContention, lockKey } from '../domain/locking.js';
import { isTerminal, transitionDeployment } from '../domain/deployment.js';
import { ConcurrentUpdateError, DeploymentLockBusyError, SupersededError, nameOf } from '../errors.js';
import type { Clock, DeploymentStore, LockHolder, LockStore, WaitStore, WorkflowEngine } from '../ports/index.js';
import { WORKFLOW_ACTOR, assertRunnable, loadDeployment } from './deployment-context.js';
import { failWaitsOf } from './task-waits.js';

type Deps = { deployments: DeploymentStore; locks: LockStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock };

const MAX_ATTEMPTS = 5;

/**
 * Takes the per-(service, environment) lock for a deployment and marks it IN_PROGRESS.
 * A holder that already ended (it crashed before releasing) does not count. In HML a newer
 * request supersedes the holder, which is told at once through its pending task token.
 */
export async function acquireDeploymentLock(deps: Deps, input: { deploymentId: string }): Promise<{ deploymentId: string; regions: string[] }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  const key = lockKey(deployment.service, deployment.environment);
  if (deployment.environment === 'prod' && deployment.status === 'QUEUED') {
    const head = await deps.deployments.queueHead(deployment.service, deployment.environment);
    if (head && head !== deployment.id) throw new DeploymentLockBusyError(`Queued behind ${head}`);
  }
  const claim: LockHolder = { deploymentId: deployment.id, requestedAt: deployment.createdAt };

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const holder = await deps.locks.get(key);
    if (holder?.deploymentId === deployment.id) return markInProgress(deps, deployment.id);
    const activeHolder = holder && (await holdsLiveDeployment(deps.deployments, holder)) ? holder : undefined;
    if (activeHolder) {
      const decision = decideLockContention(deployment.environment, activeHolder, claim);
      if (decision === 'superseded') {
        await supersede(deps, deployment.id, activeHolder.deploymentId);
        throw new SupersededError(`Deployment ${deployment.id} is older than ${activeHolder.deploymentId}, which holds the lock`);
      }
      if (decision === 'wait') throw new DeploymentLockBusyError(`Deployment ${activeHolder.deploymentId} holds the lock for ${key}`);
    }
    if (await deps.locks.compareAndSet(key, holder, claim)) {
      if (activeHolder) await supersede(deps, activeHolder.deploymentId, deployment.id);
      return markInProgress(deps, deployment.id);
    }
  }
  throw new ConcurrentUpdateError(`Could not take the lock ${key} after ${MAX_ATTEMPTS} attempts`);
}

async function holdsLiveDeployment(deployments: DeploymentStore, holder: LockHolder): Promise<boolean> {
  const held = await deployments.get(holder.deploymentId);
  return held !== undefined && !isTerminal(held.status);
}

async function markInProgress(deps: Deps, id: string): Promise<{ deploymentId: string; regions: string[] }> {
  const deployment = await deps.deployments.update(id, (current) => {
    assertRunnable(current);
    if (current.status === 'IN_PROGRESS') return undefined;
    return transitionDeployment(current, 'IN_PROGRESS', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: 'deployment.started',
      message: `Took the ${current.environment} lock for ${current.service}`,
    });
  });
  return { deploymentId: id, regions: deployment.waves.map((wave) => wave.region) };
}

/** Ends `loserId` as SUPERSEDED and fails whatever it is waiting on, so its workflow stops now. */
async function supersede(deps: Deps, loserId: string, winnerId: string): Promise<void> {
  const loser = await deps.deployments.update(loserId, (current) =>
    isTerminal(current.status)
      ? undefined
      : transitionDeployment(current, 'SUPERSEDED', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'deployment.superseded',
          message: `Superseded by ${winnerId}`,
          reason: `superseded by ${winnerId}`,
        }),
  );
  await failWaitsOf(deps, loser, nameOf(SupersededError), `Superseded by ${winnerId}`);
}
