import { DeploymentAbortedError, SupersededError, NotFoundError } from '../errors.js';
import type { Deployment } from '../domain/deployment.js';
import type { DeploymentStore } from '../ports/index.js';

/** The actor recorded in audit entries for what the workflow itself does. */
export const WORKFLOW_ACTOR = 'flightplan';

export async function loadDeployment(deployments: DeploymentStore, id: string): Promise<Deployment> {
  const deployment = await deployments.get(id);
  if (!deployment) throw new NotFoundError(`Deployment ${id} does not exist`);
  return deployment;
}

/** Workflow steps stop at once when a newer deployment took over, instead of touching GitOps. */
export function assertNotSuperseded(deployment: Deployment): void {
  if (deployment.status === 'SUPERSEDED') {
    throw new SupersededError(
      `Deployment ${deployment.id} was superseded${deployment.reason ? `: ${deployment.reason}` : ''}`,
    );
  }
}

/** Forward steps stop when the deployment was superseded or somebody asked to abort it. */
export function assertRunnable(deployment: Deployment): void {
  assertNotSuperseded(deployment);
  if (deployment.abortRequestedBy) throw new DeploymentAbortedError(`Aborted by ${deployment.abortRequestedBy}`);
}
