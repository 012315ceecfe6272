import { bakeDecisionIdFor } from '../domain/approval.js';
import { requestersOfDeployment } from '../domain/deployment-requesters.js';
import { evaluateBake } from '../domain/health-gate.js';
import { findWave, transitionWave, type Deployment } from '../domain/deployment.js';
import type { Environment } from '../domain/catalog.js';
import { judgeBakeEvidence, type EvidenceVerdict } from '../domain/argocd-notification.js';
import { argoWaitKey, bakeWaitKey } from '../domain/locking.js';
import { argoAppName } from '../domain/rollout-plan.js';
import { argoOutcome } from './await-argo-sync.js';
import { BakeFailedError, BakeInconclusiveError, nameOf } from '../errors.js';
import { deployChannelOf } from '../domain/catalog.js';
import type {
  ArgoObservation,
  CatalogStore,
  Clock,
  DeploymentStore,
  HealthSource,
  WaitStore,
  WorkflowEngine,
} from '../ports/index.js';
import { approvalTermsWith } from './approval-terms.js';
import type { ApprovalRequest } from './approvals.js';
import { signalWait } from './task-waits.js';
import { WORKFLOW_ACTOR, assertRunnable, loadDeployment } from './deployment-context.js';

/**
 * Parks the bake's task token where an alarm or a degraded Argo CD app for the same service and
 * region can fail it at once. An alarm already firing, or bad news about this wave that Argo CD
 * already sent, fails it immediately.
 */
export async function startBake(
  deps: {
    deployments: DeploymentStore;
    waits: WaitStore;
    health: HealthSource;
    workflows: WorkflowEngine;
    clock: Clock;
  },
  input: { deploymentId: string; region: string; taskToken: string },
): Promise<void> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  const key = bakeWaitKey(deployment.service, deployment.environment, input.region);
  await deps.waits.put({ key, taskToken: input.taskToken, deploymentId: deployment.id, createdAt: deps.clock.now() });
  const { alarmsInAlarm } = await deps.health.observe({
    service: deployment.service,
    environment: deployment.environment,
    region: input.region,
  });
  if (alarmsInAlarm.length > 0) {
    await failBake(
      deps,
      deployment.service,
      deployment.environment,
      input.region,
      `alarm ${alarmsInAlarm.join(', ')} is in ALARM`,
    );
    return;
  }
  // The gate marks the wave BAKING a step before this one parks the token: bad news about this
  // wave that Argo CD sent in between found no bake to fail, and was only recorded.
  const latest = await deps.waits.lastArgoObservation(
    argoWaitKey(deployment.service, deployment.environment, input.region),
  );
  if (latest && argoOutcome(latest) === 'failed') await failBakeOnArgoNews(deps, deployment, input.region, latest);
}

/**
 * Fails the deployment's bake in `region` when Argo CD's bad news is about the wave being baked
 * (its application, its revision, after it started, not overtaken by newer news about the
 * application); otherwise says why the news is not evidence.
 */
export async function failBakeOnArgoNews(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  deployment: Deployment,
  region: string,
  observation: ArgoObservation,
  options: { overtaken: boolean } = { overtaken: false },
): Promise<EvidenceVerdict> {
  const expectedApp = argoAppName(deployment.service, deployment.environment, region);
  const verdict = judgeBakeEvidence(findWave(deployment, region), expectedApp, observation, options);
  if (verdict.about === 'this-wave')
    await failBake(
      deps,
      deployment.service,
      deployment.environment,
      region,
      `Argo CD reports ${observation.app} ${observation.healthStatus}`,
    );
  return verdict;
}

/** Fails the bake waiting for this service and region, if any. Returns whether one was failed. */
export async function failBake(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  service: string,
  environment: Environment,
  region: string,
  reason: string,
): Promise<boolean> {
  const wait = await deps.waits.get(bakeWaitKey(service, environment, region));
  if (!wait) return false;
  return (
    (await signalWait(deps, wait, {
      error: nameOf(BakeFailedError),
      cause: `Bake of ${service} in ${region} failed: ${reason}`,
    })) === 'signalled'
  );
}

/**
 * The end of a bake whose time ran out without an alarm: health again, plus enough traffic to
 * mean something. Too little traffic is inconclusive and fails the wave; it never passes silently.
 */
export async function finishBake(
  deps: { deployments: DeploymentStore; waits: WaitStore; health: HealthSource; clock: Clock },
  input: { deploymentId: string; region: string },
): Promise<void> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  const bakeKey = bakeWaitKey(deployment.service, deployment.environment, input.region);
  const wait = await deps.waits.get(bakeKey);
  // The bake ended by timing out; its token is dead, so nothing may signal it any more.
  if (wait?.deploymentId === deployment.id) await deps.waits.take(bakeKey, wait.taskToken);
  assertRunnable(deployment);
  const target = { service: deployment.service, environment: deployment.environment, region: input.region };
  const [signals, argo] = await Promise.all([
    deps.health.observe(target),
    deps.waits.lastArgoObservation(argoWaitKey(target.service, target.environment, target.region)),
  ]);
  const verdict = evaluateBake(deployment.tier, { ...signals, argoHealth: argo?.healthStatus ?? 'Unknown' });
  const reason = verdict.reasons.join('; ');
  const bakeMinutes = findWave(deployment, input.region).bakeSeconds / 60;
  if (verdict.inconclusive) {
    // The wave stays BAKING while a human decides; the question is asked by the workflow.
    await deps.deployments.update(deployment.id, (current) => {
      assertRunnable(current);
      return {
        deployment: {
          ...current,
          waves: current.waves.map((wave) => (wave.region === input.region ? { ...wave, reason } : wave)),
          updatedAt: deps.clock.now(),
        },
        event: {
          at: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'wave.bake-inconclusive',
          message: `${input.region} bake inconclusive: ${reason}; asking the team whether to continue`,
          region: input.region,
        },
      };
    });
    throw new BakeInconclusiveError(`${input.region}: ${reason}`);
  }
  await deps.deployments.update(deployment.id, (current) => {
    assertRunnable(current);
    return transitionWave(current, input.region, verdict.passed ? 'SUCCEEDED' : 'FAILED', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: verdict.passed ? 'wave.baked' : 'wave.bake-failed',
      message: verdict.passed
        ? `${input.region} baked for ${bakeMinutes} min with ${signals.requestCount ?? 0} requests and stayed healthy`
        : `${input.region} bake failed: ${reason}`,
      changes: { reason: verdict.passed ? null : reason },
    });
  });
  if (!verdict.passed) throw new BakeFailedError(`${input.region}: ${reason}`);
}

/** The question for an inconclusive bake, asked through the approval workflow. */
export async function prepareBakeDecision(
  deps: { deployments: DeploymentStore; catalog: CatalogStore },
  input: { deploymentId: string; region: string },
): Promise<{ request: ApprovalRequest }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  const wave = findWave(deployment, input.region);
  const service = await deps.catalog.getService(deployment.service);
  // Continuing is approving the change: its requesters may not decide it either, and the same
  // terms hold (one approval more for a change only bots asked for, and for each requester the
  // directory cannot tell apart from a voter).
  const requesters = requestersOfDeployment(deployment);
  return {
    request: {
      approvalId: bakeDecisionIdFor(deployment.id, input.region),
      policy: 'bake-decision',
      team: deployment.team,
      requestedBy: WORKFLOW_ACTOR,
      requesters,
      terms: await approvalTermsWith(deps, 'bake-decision', deployment.team, requesters),
      subject: {
        kind: 'bake',
        id: deployment.id,
        summary: `Continue ${deployment.service} ${deployment.version} after an inconclusive bake in ${input.region}? (${wave.reason ?? 'too little traffic'})`,
        binding: deployment.digest ?? deployment.imageTag,
      },
      channel: service ? deployChannelOf(service) : `#deploys-${deployment.team}`,
    },
  };
}

/** Continue: the wave succeeded. Roll back, or nobody answered: the wave failed and the rollback starts. */
export async function applyBakeDecision(
  deps: { deployments: DeploymentStore; clock: Clock },
  input: { deploymentId: string; region: string; status: string; reason?: string | null | undefined },
): Promise<void> {
  const carryOn = input.status === 'APPROVED';
  const why = input.reason ?? input.status.toLowerCase();
  await deps.deployments.update(input.deploymentId, (current) => {
    assertRunnable(current);
    return transitionWave(current, input.region, carryOn ? 'SUCCEEDED' : 'FAILED', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: carryOn ? 'wave.baked' : 'wave.bake-failed',
      message: carryOn
        ? `${input.region}: continuing after an inconclusive bake (${why})`
        : `${input.region}: rolling back after an inconclusive bake (${why})`,
      changes: { reason: carryOn ? null : `inconclusive bake, ${why}` },
    });
  });
  if (!carryOn) throw new BakeFailedError(`${input.region}: inconclusive bake, ${why}`);
}
