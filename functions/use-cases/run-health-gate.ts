import { evaluateHealthGate } from '../domain/health-gate.js';
import { findWave, transitionWave } from '../domain/deployment.js';
import { argoWaitKey } from '../domain/locking.js';
import { HealthGateFailedError } from '../errors.js';
import type { Clock, DeploymentStore, HealthSource, WaitStore } from '../ports/index.js';
import { WORKFLOW_ACTOR, assertRunnable, loadDeployment } from './deployment-context.js';

/**
 * Checks one wave against its tier's objectives, Argo CD health and open alarms. A pass ends the
 * wave (or starts its bake); a failure records every reason and throws HealthGateFailedError.
 */
export async function runHealthGate(
  deps: { deployments: DeploymentStore; health: HealthSource; waits: WaitStore; clock: Clock },
  input: { deploymentId: string; region: string },
): Promise<{ deploymentId: string; region: string; passed: true; bakeSeconds: number }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  const target = { service: deployment.service, environment: deployment.environment, region: input.region };
  const [signals, argo] = await Promise.all([
    deps.health.observe(target),
    deps.waits.lastArgoObservation(argoWaitKey(deployment.service, deployment.environment, input.region)),
  ]);
  const verdict = evaluateHealthGate(deployment.tier, { ...signals, argoHealth: argo?.healthStatus ?? 'Unknown' });
  const wave = findWave(deployment, input.region);
  const reason = verdict.reasons.join('; ');

  await deps.deployments.update(deployment.id, (current) => {
    assertRunnable(current);
    const gating =
      findWave(current, input.region).status === 'GATING'
        ? current
        : transitionWave(current, input.region, 'GATING', {
            now: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'wave.gating',
            message: `Health gate for ${input.region} (${deployment.tier})`,
          }).deployment;
    const next = verdict.passed ? (wave.bakeSeconds > 0 ? 'BAKING' : 'SUCCEEDED') : 'FAILED';
    const change = transitionWave(gating, input.region, next, {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: verdict.passed ? 'wave.gate-passed' : 'wave.gate-failed',
      message: verdict.passed
        ? `${input.region} passed its health gate${wave.bakeSeconds > 0 ? `; baking for ${wave.bakeSeconds / 60} min` : ''}`
        : `${input.region} failed its health gate: ${reason}`,
      changes: { reason: verdict.passed ? null : reason },
    });
    return { deployment: change.deployment, event: change.event };
  });
  if (!verdict.passed) throw new HealthGateFailedError(`${input.region}: ${reason}`);
  return { deploymentId: deployment.id, region: input.region, passed: true, bakeSeconds: wave.bakeSeconds };
}
