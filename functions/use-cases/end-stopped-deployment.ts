import type { ExecutionStatusChange } from '../../events/execution-status-changed.js';
import { isTerminal, transitionDeployment } from '../domain/deployment.js';
import { lockKey } from '../domain/locking.js';
import { DeploymentAbortedError, nameOf } from '../errors.js';
import type {
  ApprovalStore,
  Chat,
  Clock,
  DeploymentStore,
  LockStore,
  WaitStore,
  WorkflowEngine,
} from '../ports/index.js';
import { liveDigestNote } from './acquire-deployment-lock.js';
import { voidOpenApprovalsOf } from './approvals.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';
import { failWaitsOf } from './task-waits.js';

/** The deployment an execution ran: its input names it; the execution name is the deployment id anyway. */
function deploymentIdOf(change: ExecutionStatusChange): string {
  try {
    const input: unknown = JSON.parse(change.input ?? '');
    if (
      typeof input === 'object' &&
      input !== null &&
      'deploymentId' in input &&
      typeof input.deploymentId === 'string'
    )
      return input.deploymentId;
  } catch {
    // No input (larger than Step Functions includes): the name is the deployment id.
  }
  return change.name;
}

/**
 * A deployment execution ended without running its Catch (stopped from the console, timed out):
 * the deployment ends ABORTED with what happened, its waits are cleared and its lock is freed, so
 * the PROD queue moves on, and the approval or bake question it waited in is void. Regions that
 * may still run its digest are named for a human; nothing is rolled back here, because nothing
 * runs the rollback steps any more.
 */
export async function endStoppedDeployment(
  deps: {
    deployments: DeploymentStore;
    locks: LockStore;
    waits: WaitStore;
    workflows: WorkflowEngine;
    clock: Clock;
    approvals: ApprovalStore;
    chat: Chat;
  },
  change: ExecutionStatusChange,
): Promise<{ deploymentId: string; ended: boolean }> {
  const deploymentId = deploymentIdOf(change);
  const before = await deps.deployments.get(deploymentId);
  if (!before) return { deploymentId, ended: false };
  const why = `its execution was ${change.status === 'TIMED_OUT' ? 'timed out' : 'stopped'}${change.error ? ` (${change.error}${change.cause ? `: ${change.cause}` : ''})` : ''}`;
  const deployment = await deps.deployments.update(deploymentId, (current) =>
    isTerminal(current.status)
      ? undefined
      : transitionDeployment(current, 'ABORTED', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'deployment.aborted',
          message: `Ended ABORTED: ${why}; the lock is free${liveDigestNote(current)}`,
          reason: why,
        }),
  );
  await failWaitsOf(deps, deployment, nameOf(DeploymentAbortedError), why);
  await deps.locks.release(lockKey(deployment.service, deployment.environment), deployment.id);
  // On AWS nothing else sees the approval workflow end with its parent, and its buttons would still
  // count. Last, so a Slack outage in the message update holds up neither the lock nor the waits.
  await voidOpenApprovalsOf(deps, before, {
    actor: WORKFLOW_ACTOR,
    reason: `the deployment's execution ended: ${why}`,
  });
  return { deploymentId, ended: !isTerminal(before.status) };
}
