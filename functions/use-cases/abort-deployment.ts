import { mayOperate } from '../domain/authorization.js';
import { isTerminal, type Deployment } from '../domain/deployment.js';
import { ConflictError, DeploymentAbortedError, ForbiddenError, nameOf } from '../errors.js';
import type {
  ApprovalStore,
  CatalogStore,
  Chat,
  Clock,
  DeploymentStore,
  WaitStore,
  WorkflowEngine,
} from '../ports/index.js';
import { voidOpenApprovalsOf } from './approvals.js';
import { teamsOf, type Caller } from './callers.js';
import { loadDeployment } from './deployment-context.js';
import { failWaitsOf } from './task-waits.js';

/**
 * Asks a running deployment to stop and roll back. The flag stops the next step; a deployment
 * parked on Argo CD or a bake is failed at once. A rollback already under way is left to finish.
 */
export async function abortDeployment(
  deps: {
    deployments: DeploymentStore;
    catalog: CatalogStore;
    waits: WaitStore;
    workflows: WorkflowEngine;
    clock: Clock;
    approvals: ApprovalStore;
    chat: Chat;
  },
  caller: Caller,
  id: string,
): Promise<Deployment> {
  const current = await loadDeployment(deps.deployments, id);
  if (!mayOperate(await teamsOf(deps, caller), current.team)) {
    throw new ForbiddenError(`${caller.name} is neither in ${current.team} nor in platform-team`);
  }
  const deployment = await deps.deployments.update(id, (latest) => {
    if (isTerminal(latest.status)) throw new ConflictError(`Deployment ${id} already ended ${latest.status}`);
    if (latest.abortRequestedBy) return undefined;
    const now = deps.clock.now();
    return {
      deployment: { ...latest, abortRequestedBy: caller.id, updatedAt: now },
      event: {
        at: now,
        actor: caller.id,
        action: 'deployment.abort-requested',
        message: `${caller.name} asked to abort and roll back`,
      },
    };
  });
  const rollingBack = deployment.waves.some((wave) => wave.status === 'ROLLING_BACK' || wave.status === 'ROLLED_BACK');
  if (!rollingBack) await failWaitsOf(deps, deployment, nameOf(DeploymentAbortedError), `Aborted by ${caller.name}`);
  // Failing its waits alone would leave a deployment parked on a question until the question
  // expires (an hour for a bake), with the new digest live. After the waits, so that a Slack
  // outage in the message update cannot keep the rollback from starting.
  await voidOpenApprovalsOf(deps, deployment, {
    actor: caller.id,
    reason: `the deployment was aborted by ${caller.name}`,
  });
  return deployment;
}
