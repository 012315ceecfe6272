import { deploymentIdFor } from '../domain/deployment-id.js';
import { newDeployment, transitionDeployment, type Deployment } from '../domain/deployment.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';
import { planRollout } from '../domain/rollout-plan.js';
import { NotFoundError } from '../errors.js';
import type { deploymentRequested } from '../../events/deployment-requested.js';
import type { CatalogStore, Clock, DeploymentStore, WorkflowEngine } from '../ports/index.js';
import { listKnownGoodReleases } from './known-good.js';

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
  // Checked again here, on the store, whoever published the request: the bus is not the authority.
  const rollbackOf =
    request.mode === 'rollback'
      ? (await listKnownGoodReleases(deps.deployments, service.name, request.environment)).find(
          (release) => release.version === request.version,
        )
      : undefined;
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
    ...(rollbackOf ? { rollbackOf } : {}),
    plan: planRollout(request.environment, service.tier, request.mode),
    now: deps.clock.now(),
  });
  const refusal: Refusal | undefined = bad
    ? {
        status: 'FAILED',
        action: 'deployment.refused',
        message: `${service.name} ${request.version} was rolled back by ${bad.deploymentId} (${bad.reason}); deploy it with an override and a reason`,
        reason: `version was rolled back by ${bad.deploymentId}`,
      }
    : request.mode === 'rollback' && !rollbackOf
      ? {
          status: 'FAILED',
          action: 'deployment.refused',
          message: `A rollback returns only to a version a SUCCEEDED deployment of ${service.name} in ${request.environment} recorded, and ${request.version} is not one`,
          reason: 'rollback target is not a known-good version',
        }
      : await staleDeliveryRefusal(deps.deployments, request);
  if (refusal) {
    // A rolled-back version comes back only with an override, a rollback only to a known-good
    // version, a pull request's commit only while no later delivery of it deployed. The record is
    // written refused, with the refusal as its event, so the reason is in the audit trail and
    // announced. A stale HML request recorded before the later one (its workflow never started,
    // or not yet past the lock) is superseded in place; a PROD one already queued is its
    // workflow's to end.
    const { status, ...transition } = refusal;
    const refuse = (current: Deployment) =>
      transitionDeployment(current, status, { now: deps.clock.now(), actor: WORKFLOW_ACTOR, ...transition });
    const created = await deps.deployments.create(refuse(change.deployment));
    if (created === 'exists' && status === 'SUPERSEDED')
      await deps.deployments.update(id, (current) => (current.status === 'QUEUED' ? refuse(current) : undefined));
    return { deploymentId: id, executionArn: '', duplicate: created === 'exists' };
  }
  const created = await deps.deployments.create(change);
  const execution = await deps.workflows.start('deployment', id, { deploymentId: id });
  return {
    deploymentId: id,
    executionArn: execution.executionArn,
    duplicate: created === 'exists' || execution.alreadyStarted,
  };
}

interface Refusal {
  status: 'FAILED' | 'SUPERSEDED';
  action: string;
  message: string;
  reason: string;
}

/** How far back a pull request's later deliveries are looked for: the service's last HML deployments. */
const RECENT_HML_DEPLOYMENTS = 50;

/**
 * SUPERSEDED when an HML deployment among the service's recent ones came from a later state of the
 * same pull request (its `updated_at`) than this request: a delivery redelivered by hand, or sent
 * again late, must not take HML back to a commit the pull request has moved past.
 */
async function staleDeliveryRefusal(
  deployments: DeploymentStore,
  request: DeploymentRequest,
): Promise<Refusal | undefined> {
  const { trigger } = request;
  if (request.environment !== 'hml' || trigger.kind !== 'pull_request' || !trigger.updatedAt) return undefined;
  const { items } = await deployments.list(
    { service: request.service, environment: 'hml' },
    { limit: RECENT_HML_DEPLOYMENTS },
  );
  for (const { id, trigger: other } of items) {
    if (
      other.kind === 'pull_request' &&
      other.repository.toLowerCase() === trigger.repository.toLowerCase() &&
      other.pullRequest === trigger.pullRequest &&
      other.updatedAt !== undefined &&
      Date.parse(other.updatedAt) > Date.parse(trigger.updatedAt)
    )
      return {
        status: 'SUPERSEDED',
        action: 'deployment.superseded',
        message:
          `Pull request #${trigger.pullRequest} was updated at ${other.updatedAt}, after this delivery ` +
          `(${trigger.updatedAt}), and ${id} came from that: this delivery is stale`,
        reason: `superseded by ${id}, from a later delivery of pull request #${trigger.pullRequest}`,
      };
  }
  return undefined;
}
