import { findWave, transitionWave } from '../domain/deployment.js';
import { lockKey } from '../domain/locking.js';
import { InvalidTransitionError, NotFoundError, SupersededError } from '../errors.js';
import type { CatalogStore, Clock, DeploymentStore, GitOpsRepo, LockStore } from '../ports/index.js';
import { WORKFLOW_ACTOR, assertNotSuperseded, loadDeployment } from './deployment-context.js';

export interface WaveDeployed {
  deploymentId: string;
  region: string;
  revision: string;
  /** False when the region already runs this digest: nothing changed, so Argo CD has nothing to sync. */
  needsSync: boolean;
}

/** Records the digest running before, then commits the new digest for one region to the GitOps repo. */
export async function deployWave(
  deps: { deployments: DeploymentStore; catalog: CatalogStore; gitops: GitOpsRepo; locks: LockStore; clock: Clock },
  input: { deploymentId: string; region: string },
): Promise<WaveDeployed> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertNotSuperseded(deployment);
  const wave = findWave(deployment, input.region);
  if (wave.status === 'DEPLOYING' && wave.gitopsRevision) {
    return { deploymentId: deployment.id, region: input.region, revision: wave.gitopsRevision, needsSync: true };
  }
  if (!deployment.digest) throw new InvalidTransitionError(`Deployment ${deployment.id} has no resolved digest`);
  const service = await deps.catalog.getService(deployment.service);
  if (!service) throw new NotFoundError(`Service ${deployment.service} is not in the catalog`);
  const target = { service: deployment.service, environment: deployment.environment, region: input.region };

  // The lock is checked right before the commit so a superseded deployment never overwrites a newer digest.
  const holder = await deps.locks.get(lockKey(deployment.service, deployment.environment));
  if (holder?.deploymentId !== deployment.id) {
    throw new SupersededError(`Deployment ${deployment.id} no longer holds the ${deployment.environment} lock`);
  }

  const digestBefore = await deps.gitops.readImageDigest(target);
  const alreadyLive = digestBefore === deployment.digest;
  const revision = alreadyLive
    ? 'unchanged'
    : (
        await deps.gitops.commitImageDigest({
          ...target,
          imageRepository: service.imageRepository,
          digest: deployment.digest,
          message: `Deploy ${deployment.service} ${deployment.version} to ${deployment.environment}/${input.region}\n\nDeployment: ${deployment.id}\nRequested-by: ${deployment.requestedBy}\nDigest: ${deployment.digest}\nPrevious: ${digestBefore ?? 'none'}`,
        })
      ).revision;

  await deps.deployments.update(deployment.id, (current) => {
    assertNotSuperseded(current);
    return transitionWave(current, input.region, 'DEPLOYING', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: 'wave.deploying',
      message: alreadyLive
        ? `${input.region} already runs ${deployment.digest ?? ''}`
        : `Committed ${deployment.digest ?? ''} for ${input.region} (GitOps ${revision.slice(0, 7)})`,
      changes: { digestBefore, digestAfter: deployment.digest, gitopsRevision: revision },
    });
  });
  return { deploymentId: deployment.id, region: input.region, revision, needsSync: !alreadyLive };
}
