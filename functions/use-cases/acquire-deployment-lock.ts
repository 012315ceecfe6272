import { decideLockContention, lockHolderGone, lockKey, requestedAtOf, type HolderGone } from '../domain/locking.js';
import { isTerminal, transitionDeployment, type Deployment } from '../domain/deployment.js';
import {
  ConcurrentUpdateError,
  DeploymentAbortedError,
  DeploymentLockBusyError,
  SupersededError,
  nameOf,
} from '../errors.js';
import type { Clock, DeploymentStore, LockHolder, LockStore, WaitStore, WorkflowEngine } from '../ports/index.js';
import { WORKFLOW_ACTOR, assertRunnable, loadDeployment } from './deployment-context.js';
import { failWaitsOf } from './task-waits.js';

type Deps = {
  deployments: DeploymentStore;
  locks: LockStore;
  waits: WaitStore;
  workflows: WorkflowEngine;
  clock: Clock;
};

const MAX_ATTEMPTS = 5;

const leaseFrom = (now: string, leaseSeconds: number): string =>
  new Date(Date.parse(now) + leaseSeconds * 1000).toISOString();

/**
 * Takes the per-(service, environment) lock for a deployment and marks it IN_PROGRESS. The lock
 * carries the holder's execution and a lease. A holder that ended, whose execution no longer runs
 * (DescribeExecution) or whose lease expired does not count: the next waiter takes the lock and
 * ends what is left of the holder. In HML a newer request supersedes a live holder, which is told
 * at once through its pending task token.
 */
export async function acquireDeploymentLock(
  deps: Deps,
  input: { deploymentId: string; executionArn?: string | undefined },
): Promise<{ deploymentId: string; regions: string[] }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  const key = lockKey(deployment.service, deployment.environment);
  if (deployment.environment === 'prod' && deployment.status === 'QUEUED') {
    const head = await deps.deployments.queueHead(deployment.service, deployment.environment);
    if (head && head !== deployment.id) throw new DeploymentLockBusyError(`Queued behind ${head}`);
  }

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const now = deps.clock.now();
    const claim: LockHolder = {
      deploymentId: deployment.id,
      requestedAt: requestedAtOf(deployment),
      ...(input.executionArn ? { executionArn: input.executionArn } : {}),
      leaseExpiresAt: leaseFrom(now, deps.locks.leaseSeconds),
    };
    const holder = await deps.locks.get(key);
    if (holder?.deploymentId === deployment.id) {
      if (await deps.locks.compareAndSet(key, holder, claim)) return markInProgress(deps, deployment.id);
      continue;
    }
    const held = holder ? await deps.deployments.get(holder.deploymentId) : undefined;
    const gone = holder ? await whyHolderIsGone(deps, holder, held, now) : undefined;
    const activeHolder = holder && !gone ? holder : undefined;
    if (activeHolder) {
      const decision = decideLockContention(deployment.environment, activeHolder, claim);
      if (decision === 'superseded') {
        await supersede(deps, deployment.id, activeHolder.deploymentId);
        throw new SupersededError(
          `Deployment ${deployment.id} is older than ${activeHolder.deploymentId}, which holds the lock`,
        );
      }
      if (decision === 'wait')
        throw new DeploymentLockBusyError(`Deployment ${activeHolder.deploymentId} holds the lock for ${key}`);
    }
    if (await deps.locks.compareAndSet(key, holder, claim)) {
      if (activeHolder) await supersede(deps, activeHolder.deploymentId, deployment.id);
      else if (held && gone && !isTerminal(held.status)) await endGoneHolder(deps, held, gone, deployment.id);
      return markInProgress(deps, deployment.id);
    }
  }
  throw new ConcurrentUpdateError(`Could not take the lock ${key} after ${MAX_ATTEMPTS} attempts`);
}

/** Why a holder no longer protects its lock, or undefined while it does. */
async function whyHolderIsGone(
  deps: Pick<Deps, 'workflows'>,
  holder: LockHolder,
  held: Deployment | undefined,
  now: string,
): Promise<HolderGone | undefined> {
  // Only a live deployment's execution is worth a DescribeExecution; unknown to the engine counts as stopped.
  const executionStatus =
    holder.executionArn && held && !isTerminal(held.status)
      ? ((await deps.workflows.describe(holder.executionArn))?.status ?? 'UNKNOWN')
      : undefined;
  return lockHolderGone({ holder, deploymentStatus: held?.status, executionStatus, now });
}

/** The holder's deployment never finished: ABORTED when its execution stopped, SUPERSEDED when its lease ran out. */
async function endGoneHolder(deps: Deps, held: Deployment, gone: HolderGone, winnerId: string): Promise<void> {
  if (gone.kind === 'lease-expired') {
    await supersede(deps, held.id, winnerId, `its lock lease expired (${gone.reason}) and ${winnerId} took the lock`);
    return;
  }
  const ended = await deps.deployments.update(held.id, (current) =>
    isTerminal(current.status)
      ? undefined
      : transitionDeployment(current, 'ABORTED', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'deployment.aborted',
          message: `Ended ABORTED: ${gone.reason}; ${winnerId} took the lock${liveDigestNote(current)}`,
          reason: gone.reason,
        }),
  );
  await failWaitsOf(deps, ended, nameOf(DeploymentAbortedError), gone.reason);
}

/** Regions that may still run a stopped deployment's digest: a human (or a rollback) must look. */
export function liveDigestNote(deployment: Deployment): string {
  const live = deployment.waves.filter(
    (wave) =>
      wave.digestAfter !== null &&
      ['DEPLOYING', 'GATING', 'BAKING', 'SUCCEEDED', 'FAILED', 'ROLLING_BACK'].includes(wave.status),
  );
  return live.length === 0
    ? ''
    : `. ${live.map((wave) => `${wave.region} may still run ${wave.digestAfter ?? ''}`).join('; ')}: roll back from the portal (mode rollback) if it should not`;
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

/**
 * The holder renews its lease at the steps that can wait long (each wave, after the approval).
 * Throws SupersededError when the deployment no longer holds the lock: someone took it after the
 * lease expired, and this deployment must not touch GitOps any more.
 */
export async function renewDeploymentLock(
  deps: Pick<Deps, 'locks' | 'clock'>,
  deployment: Pick<Deployment, 'id' | 'service' | 'environment'>,
): Promise<void> {
  const key = lockKey(deployment.service, deployment.environment);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const holder = await deps.locks.get(key);
    if (holder?.deploymentId !== deployment.id) {
      throw new SupersededError(
        `Deployment ${deployment.id} no longer holds the ${deployment.environment} lock${holder ? ` (${holder.deploymentId} does)` : ''}`,
      );
    }
    if (
      await deps.locks.compareAndSet(key, holder, {
        ...holder,
        leaseExpiresAt: leaseFrom(deps.clock.now(), deps.locks.leaseSeconds),
      })
    )
      return;
  }
  throw new ConcurrentUpdateError(`Could not renew the lock ${key} after ${MAX_ATTEMPTS} attempts`);
}

/** Ends `loserId` as SUPERSEDED and fails whatever it is waiting on, so its workflow stops now. */
async function supersede(
  deps: Deps,
  loserId: string,
  winnerId: string,
  why = `superseded by ${winnerId}`,
): Promise<void> {
  const loser = await deps.deployments.update(loserId, (current) =>
    isTerminal(current.status)
      ? undefined
      : transitionDeployment(current, 'SUPERSEDED', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'deployment.superseded',
          message: `Superseded by ${winnerId}${why === `superseded by ${winnerId}` ? '' : `: ${why}`}`,
          reason: why,
        }),
  );
  await failWaitsOf(deps, loser, nameOf(SupersededError), `Superseded by ${winnerId}`);
}
