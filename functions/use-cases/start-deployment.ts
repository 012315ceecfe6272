import { deploymentIdFor } from '../domain/deployment-id.js';
import { newDeployment, transitionDeployment } from '../domain/deployment.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';
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
  const bad = request.override ? undefined : await deps.deployments.badVersion(service.name, request.version);
  const change = newDeployment({
      id,
      service,
      environment: request.environment,
      version: request.version,
      imageTag: request.imageTag,
      gitSha: request.gitSha,
      requestedBy: request.requestedBy,
      requesters: request.requesters,
      trigger: request.trigger,
      mode: request.mode,
      override: request.override ?? null,
      plan: planRollout(request.environment, service.tier, request.mode),
      now: deps.clock.now(),
  });
  if (bad) {
    // A rolled-back version comes back only with an override; the refusal itself is recorded.
    const refused = transitionDeployment(change.deployment, 'FAILED', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: 'deployment.refused',
      message: `${service.name} ${request.version} was rolled back by ${bad.deploymentId} (${bad.reason}); deploy it with an override and a reason`,
      reason: `version was rolled back by ${bad.deploymentId}`,
    });
    const created = await deps.deployments.create({ deployment: refused.deployment, event: change.event });
    return { deploymentId: id, executionArn: '', duplicate: created === 'exists' };
  }
  const created = await deps.deployments.create(change);
  const execution = await deps.workflows.start('deployment', id, { deploymentId: id });
  return { deploymentId: id, executionArn: execution.executionArn, duplicate: created === 'exists' || execution.alreadyStarted };
}
