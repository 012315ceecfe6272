import { NotFoundError } from '../errors.js';
import type { ArtifactRegistry, CatalogStore, Clock, DeploymentStore } from '../ports/index.js';
import { WORKFLOW_ACTOR, assertNotSuperseded, assertRunnable, loadDeployment } from './deployment-context.js';

/**
 * Pins the deployment to an image digest. Throws ArtifactNotReadyError while CI is still
 * building, which the workflow retries; deploys never go out by tag.
 */
export async function resolveArtifact(
  deps: { deployments: DeploymentStore; catalog: CatalogStore; artifacts: ArtifactRegistry; clock: Clock },
  input: { deploymentId: string },
): Promise<{ deploymentId: string; digest: string }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  if (deployment.digest) return { deploymentId: deployment.id, digest: deployment.digest };
  const service = await deps.catalog.getService(deployment.service);
  if (!service) throw new NotFoundError(`Service ${deployment.service} is not in the catalog`);
  const digest = await deps.artifacts.resolveDigest(service.imageRepository, deployment.imageTag);
  await deps.deployments.update(deployment.id, (current) => {
    assertNotSuperseded(current);
    if (current.digest === digest) return undefined;
    const now = deps.clock.now();
    return {
      deployment: { ...current, digest, updatedAt: now },
      event: {
        at: now,
        actor: WORKFLOW_ACTOR,
        action: 'artifact.resolved',
        message: `${service.imageRepository}:${deployment.imageTag} is ${digest}`,
      },
    };
  });
  return { deploymentId: deployment.id, digest };
}
