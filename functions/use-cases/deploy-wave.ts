import { assertWaveMayStart, findWave, transitionWave, waveReleased } from '../domain/deployment.js';
import { FreezeWindowError, InvalidTransitionError, NotFoundError, RegionInAlarmError } from '../errors.js';
import { activeFreeze, type FreezeWindow } from '../domain/freeze-window.js';
import type { CatalogStore, Clock, DeploymentStore, GitOpsRepo, HealthSource, LockStore } from '../ports/index.js';
import { renewDeploymentLock } from './acquire-deployment-lock.js';
import { WORKFLOW_ACTOR, assertRunnable, loadDeployment } from './deployment-context.js';

export interface WaveDeployed {
  deploymentId: string;
  region: string;
  revision: string;
  /** False when the region already runs this digest: nothing changed, so Argo CD has nothing to sync. */
  needsSync: boolean;
}

/**
 * Refuses to deploy into a region where the service is already in ALARM (the wave is BLOCKED and
 * the workflow retries), then records the digest running before and commits the new digest for
 * the region to the GitOps repo.
 */
export async function deployWave(
  deps: {
    deployments: DeploymentStore;
    catalog: CatalogStore;
    gitops: GitOpsRepo;
    locks: LockStore;
    health: HealthSource;
    clock: Clock;
    freezeWindows: FreezeWindow[];
  },
  input: { deploymentId: string; region: string },
): Promise<WaveDeployed> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  const wave = findWave(deployment, input.region);
  assertWaveMayStart(deployment, input.region);
  if (wave.status === 'DEPLOYING' && wave.gitopsRevision) {
    return { deploymentId: deployment.id, region: input.region, revision: wave.gitopsRevision, needsSync: true };
  }
  // A rollback deploys what each region ran when the known-good deployment succeeded.
  const digest = deployment.rollbackOf?.digests[input.region] ?? deployment.digest;
  if (!digest) throw new InvalidTransitionError(`Deployment ${deployment.id} has no resolved digest`);
  const service = await deps.catalog.getService(deployment.service);
  if (!service) throw new NotFoundError(`Service ${deployment.service} is not in the catalog`);
  const target = { service: deployment.service, environment: deployment.environment, region: input.region };
  const block = async (reason: string) =>
    deps.deployments.update(deployment.id, (current) =>
      findWave(current, input.region).reason === reason
        ? undefined
        : transitionWave(current, input.region, 'BLOCKED', {
            now: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'wave.blocked',
            message: reason,
            changes: { reason },
          }),
    );
  // A wave platform-team released goes through its freeze or alarm block; the release is audited.
  const released = waveReleased(deployment, input.region);
  const freeze =
    !released && deployment.environment === 'prod'
      ? activeFreeze(deps.freezeWindows, input.region, new Date(deps.clock.now()))
      : undefined;
  if (freeze && !deployment.override?.overridesFreeze) {
    const reason = `${input.region} is in the freeze window "${freeze.name}" (${freeze.from}–${freeze.to} ${freeze.timeZone}): waiting, unless platform-team overrides`;
    await block(reason);
    throw new FreezeWindowError(reason);
  }
  const { alarmsInAlarm } = await deps.health.observe(target);
  if (alarmsInAlarm.length > 0 && !released) {
    const reason = `${input.region} has ${alarmsInAlarm.join(', ')} in ALARM: waiting for it to clear before deploying`;
    await block(reason);
    throw new RegionInAlarmError(reason);
  }

  // The lock is checked (and its lease renewed) right before the commit, so a superseded
  // deployment, or one whose lease expired and was taken over, never overwrites a newer digest.
  await renewDeploymentLock(deps, deployment);

  const digestBefore = await deps.gitops.readImageDigest(target);
  const alreadyLive = digestBefore === digest;
  const revision = alreadyLive
    ? 'unchanged'
    : (
        await deps.gitops.commitImageDigest({
          ...target,
          imageRepository: service.imageRepository,
          digest,
          message: `${deployment.rollbackOf ? 'Roll back' : 'Deploy'} ${deployment.service} ${deployment.version} to ${deployment.environment}/${input.region}\n\nDeployment: ${deployment.id}\nRequested-by: ${deployment.requestedBy}\nDigest: ${digest}\nPrevious: ${digestBefore ?? 'none'}${deployment.rollbackOf ? `\nKnown-good: ${deployment.rollbackOf.deploymentId}` : ''}`,
        })
      ).revision;

  await deps.deployments.update(deployment.id, (current) => {
    assertRunnable(current);
    assertWaveMayStart(current, input.region);
    return transitionWave(current, input.region, 'DEPLOYING', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: 'wave.deploying',
      message: alreadyLive
        ? `${input.region} already runs ${digest}`
        : `Committed ${digest} for ${input.region} (GitOps ${revision.slice(0, 7)})`,
      changes: { digestBefore, digestAfter: digest, gitopsRevision: revision, reason: null },
    });
  });
  return { deploymentId: deployment.id, region: input.region, revision, needsSync: !alreadyLive };
}
