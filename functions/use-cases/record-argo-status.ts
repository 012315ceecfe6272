import type { argoCdAppStatusChanged } from '../../events/argocd-app-status-changed.js';
import { originRefusal, type EventOrigin, type EventOrigins } from '../domain/event-origin.js';
import { argoWaitKey, bakeWaitKey } from '../domain/locking.js';
import { argoAppName } from '../domain/rollout-plan.js';
import type { Clock, DeploymentStore, TaskWait, WaitStore, WorkflowEngine } from '../ports/index.js';
import { argoOutcome, resumeArgoWait, type ArgoOutcome } from './await-argo-sync.js';
import { failBakeOnArgoNews } from './bake.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';

export type ArgoStatus = ReturnType<typeof argoCdAppStatusChanged.parse>;

type Deps = {
  waits: WaitStore;
  workflows: WorkflowEngine;
  deployments: DeploymentStore;
  clock: Clock;
  eventOrigins: EventOrigins;
};

/**
 * Keeps the latest Argo CD status per application and resumes a deployment waiting for it. Only
 * the application Flightplan deploys to that target counts, and only from the account that
 * target runs in (or relayed by the control plane's webhook, which checked the cluster's token);
 * bad news fails a bake only when it is about the wave being baked (its revision, after it
 * started) and nothing newer about the application was recorded already. Whatever is not
 * evidence is recorded as ignored, with the reason, in the audit trail of the deployment it could
 * have hit.
 */
export async function recordArgoStatus(
  deps: Deps,
  status: ArgoStatus,
  origin: EventOrigin,
): Promise<ArgoOutcome | 'no-wait' | 'stale' | 'ignored'> {
  const key = argoWaitKey(status.service, status.environment, status.region);
  const expectedApp = argoAppName(status.service, status.environment, status.region);
  const bake = await deps.waits.get(bakeWaitKey(status.service, status.environment, status.region));
  // Another application carrying this target's labels, or news from an account that does not run
  // the target, says nothing about it: not recorded, resumes nothing.
  const notEvidence =
    originRefusal(deps.eventOrigins, origin, status, { relayedFromControlPlane: true }) ??
    (status.app === expectedApp
      ? undefined
      : `application ${status.app} is not ${expectedApp}, the application Flightplan deploys there`);
  if (notEvidence) {
    const waiting = bake ?? (await deps.waits.get(key));
    if (waiting) await recordIgnoredEvidence(deps, waiting, status, notEvidence);
    return 'ignored';
  }
  const observation = {
    app: status.app,
    revision: status.revision,
    syncStatus: status.syncStatus,
    healthStatus: status.healthStatus,
    ...(status.operationPhase ? { operationPhase: status.operationPhase } : {}),
    observedAt: notAfterNow(status.observedAt, deps.clock.now()),
  };
  // Argo CD delivers out of order: news older than what is recorded was overtaken, and the newer
  // news already decided the bake and the sync wait.
  const overtaken = (await deps.waits.recordArgoObservation(key, observation)) === 'older';
  if (bake && argoOutcome(observation) === 'failed') {
    const deployment = await deps.deployments.get(bake.deploymentId);
    const verdict = deployment
      ? await failBakeOnArgoNews(deps, deployment, status.region, observation, { overtaken })
      : undefined;
    if (verdict?.about === 'something-else') await recordIgnoredEvidence(deps, bake, status, verdict.reason);
  }
  return overtaken ? 'stale' : resumeArgoWait(deps, key, observation);
}

/** How far ahead of ours a sender's clock may run before its times are taken as ours. */
const ARGO_CLOCK_SKEW_MS = 60_000;

/**
 * The sender's clock dates the news, and only newer news counts: a time ahead of ours would
 * make everything reported after it look overtaken, and so ignored, until that time came. No
 * news is observed later than now, give or take the skew.
 */
function notAfterNow(observedAt: string, now: string): string {
  const latest = Date.parse(now) + ARGO_CLOCK_SKEW_MS;
  return Date.parse(observedAt) > latest ? new Date(latest).toISOString() : observedAt;
}

async function recordIgnoredEvidence(
  deps: Pick<Deps, 'deployments' | 'clock'>,
  wait: TaskWait,
  status: ArgoStatus,
  reason: string,
): Promise<void> {
  await deps.deployments.update(wait.deploymentId, (current) => {
    const now = deps.clock.now();
    return {
      deployment: { ...current, updatedAt: now },
      event: {
        at: now,
        actor: WORKFLOW_ACTOR,
        action: 'wave.evidence-ignored',
        message: `Ignored Argo CD ${status.app} ${status.syncStatus}/${status.healthStatus} at ${status.revision.slice(0, 12)} (${status.trigger}): ${reason}`,
        region: status.region,
      },
    };
  });
}
