import { newDeployment, type Deployment } from '../../functions/domain/deployment.js';
import { planRollout } from '../../functions/domain/rollout-plan.js';

/**
 * A deployment that alice asked for by hand, as the starter records it: orders-api (T1,
 * payments) unless `service` names another, rolled out by the tier's plan for `environment`.
 */
export const manualDeployment = (request: {
  id: string;
  environment: Deployment['environment'];
  version: string;
  now: string;
  service?: { name: string; team: string; tier: Deployment['tier'] };
}) =>
  newDeployment({
    id: request.id,
    service: request.service ?? { name: 'orders-api', team: 'payments', tier: 'T1' },
    environment: request.environment,
    version: request.version,
    imageTag: request.version,
    requestedBy: 'alice',
    trigger: { kind: 'manual' },
    plan: planRollout(request.environment, request.service?.tier ?? 'T1'),
    now: request.now,
  });
