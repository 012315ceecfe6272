import { deploymentIdFor } from '../domain/deployment-id.js';
import { newDeployment } from '../domain/deployment.js';
import { planRollout } from '../domain/rollout-plan.js';
import { NotFoundError } from '../errors.js';
import type { deploymentRequested } from '../../events/deployment-requested.js';
import type { CatalogStore, Clock, DeploymentStore, WorkflowEngine } from '../ports/index.js';

export type DeploymentRequest = ReturnType<typeof deploymentRequested.parse>;

/**
 * Records the deployment with its plan, then starts its workflow under the deployment id.
 * Safe to repeat: the record is written only once and a duplicate start returns the running execution.
 */
export async function startDeployment(
  deps: { catalog: CatalogStore; deployments: DeploymentStore; workflows: WorkflowEngine; clock: Clock },
  request: DeploymentRequest,
): Promise<{ deploymentId: string; executionArn: string; duplicate: boolean }> {
  const service = await deps.catalog.getService(request.service);
  if (!service) throw new NotFoundError(`Service ${request.service} is not in the catalog`);
  const id = deploymentIdFor(request);
  const created = await deps.deployments.create(
    newDeployment({
      id,
      service,
      environment: request.environment,
      version: request.version,
      imageTag: request.imageTag,
      gitSha: request.gitSha,
      requestedBy: request.requestedBy,
      trigger: request.trigger,
      plan: planRollout(request.environment, service.tier),
      now: deps.clock.now(),
    }),
  );
  const execution = await deps.workflows.start('deployment', id, { deploymentId: id });
  return { deploymentId: id, executionArn: execution.executionArn, duplicate: created === 'exists' || execution.alreadyStarted };
}
