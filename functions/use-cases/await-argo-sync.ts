import { findWave } from '../domain/deployment.js';
import { argoWaitKey } from '../domain/locking.js';
import { ArgoSyncFailedError, nameOf } from '../errors.js';
import { signalWait } from './task-waits.js';
import type { ArgoObservation, Clock, DeploymentStore, WaitStore, WorkflowEngine } from '../ports/index.js';
import { assertNotSuperseded, loadDeployment } from './deployment-context.js';

type Deps = { deployments: DeploymentStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock };

/**
 * Parks the workflow's task token until Argo CD reports the committed revision. When Argo CD was
 * faster than this step and already reported it, the workflow is resumed at once.
 */
export async function awaitArgoSync(
  deps: Deps,
  input: { deploymentId: string; region: string; taskToken: string },
): Promise<void> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertNotSuperseded(deployment);
  const wave = findWave(deployment, input.region);
  const key = argoWaitKey(deployment.service, deployment.environment, input.region);
  await deps.waits.put({
    key,
    taskToken: input.taskToken,
    deploymentId: deployment.id,
    ...(wave.gitopsRevision ? { expectedRevision: wave.gitopsRevision } : {}),
    createdAt: deps.clock.now(),
  });
  const observed = await deps.waits.lastArgoObservation(key);
  if (observed) await resumeArgoWait(deps, key, observed);
}

export type ArgoOutcome = 'synced' | 'failed' | 'pending';

export function argoOutcome(
  observation: Pick<ArgoObservation, 'syncStatus' | 'healthStatus' | 'operationPhase'>,
): ArgoOutcome {
  if (observation.operationPhase === 'Failed' || observation.operationPhase === 'Error') return 'failed';
  if (observation.healthStatus === 'Degraded' || observation.healthStatus === 'Missing') return 'failed';
  if (observation.syncStatus === 'Synced' && observation.healthStatus === 'Healthy') return 'synced';
  return 'pending';
}

/** Resumes the workflow waiting on `key` if the observation is about the revision it waits for. */
export async function resumeArgoWait(
  deps: Pick<Deps, 'waits' | 'workflows'>,
  key: string,
  observation: ArgoObservation,
): Promise<ArgoOutcome | 'no-wait' | 'stale'> {
  const wait = await deps.waits.get(key);
  if (!wait) return 'no-wait';
  if (wait.expectedRevision && wait.expectedRevision !== observation.revision) return 'stale';
  const outcome = argoOutcome(observation);
  if (outcome === 'pending') return outcome;
  const signalled = await signalWait(
    deps,
    wait,
    outcome === 'synced'
      ? { success: { revision: observation.revision, health: observation.healthStatus } }
      : {
          error: nameOf(ArgoSyncFailedError),
          cause: `Argo CD reports ${observation.app} ${observation.syncStatus}/${observation.healthStatus}${observation.operationPhase ? ` (${observation.operationPhase})` : ''} at ${observation.revision.slice(0, 7)}`,
        },
  );
  // Taken: another notification resumed it first. Expired: the workflow stopped waiting meanwhile.
  return { signalled: outcome, taken: 'no-wait' as const, expired: 'stale' as const }[signalled];
}
