import type { argoCdAppStatusChanged } from '../../events/argocd-app-status-changed.js';
import { argoWaitKey } from '../domain/locking.js';
import type { WaitStore, WorkflowEngine } from '../ports/index.js';
import { argoOutcome, resumeArgoWait, type ArgoOutcome } from './await-argo-sync.js';
import { failBake } from './bake.js';

export type ArgoStatus = ReturnType<typeof argoCdAppStatusChanged.parse>;

/** Keeps the latest Argo CD status per application and resumes a deployment waiting for it. */
export async function recordArgoStatus(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  status: ArgoStatus,
): Promise<ArgoOutcome | 'no-wait' | 'stale'> {
  const key = argoWaitKey(status.service, status.environment, status.region);
  const observation = {
    app: status.app,
    revision: status.revision,
    syncStatus: status.syncStatus,
    healthStatus: status.healthStatus,
    ...(status.operationPhase ? { operationPhase: status.operationPhase } : {}),
    observedAt: status.observedAt,
  };
  await deps.waits.recordArgoObservation(key, observation);
  if (argoOutcome(observation) === 'failed') {
    await failBake(deps, status.service, status.environment, status.region, `Argo CD reports ${status.app} ${status.healthStatus}`);
  }
  return resumeArgoWait(deps, key, observation);
}
