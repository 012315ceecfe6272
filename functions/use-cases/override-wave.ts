import { PLATFORM_TEAM } from '../domain/catalog.js';
import { releaseBlockedWave, type Deployment } from '../domain/deployment.js';
import { ConflictError, ForbiddenError, InvalidTransitionError } from '../errors.js';
import type { CatalogStore, Clock, DeploymentStore } from '../ports/index.js';
import { teamsOf, type Caller } from './callers.js';
import { loadDeployment } from './deployment-context.js';

/**
 * Platform-team lets a BLOCKED wave through its freeze window or alarm block, with a reason. The
 * release is written with its audit entry; the store publishes the change, so the notifier
 * announces it (to the team and to platform-team), and the workflow's next retry deploys.
 */
export async function overrideBlockedWave(
  deps: { deployments: DeploymentStore; catalog: CatalogStore; clock: Clock },
  caller: Caller,
  input: { deploymentId: string; reason: string },
): Promise<Deployment> {
  if (!(await teamsOf(deps, caller)).includes(PLATFORM_TEAM)) {
    throw new ForbiddenError(`Only platform-team may release a blocked wave; ${caller.name} is not in it`);
  }
  await loadDeployment(deps.deployments, input.deploymentId);
  try {
    return await deps.deployments.update(input.deploymentId, (current) =>
      releaseBlockedWave(current, { now: deps.clock.now(), by: caller.id, reason: input.reason }),
    );
  } catch (error) {
    if (error instanceof InvalidTransitionError) throw new ConflictError(error.message, { cause: error });
    throw error;
  }
}
