import { deploymentRequested } from '../../events/deployment-requested.js';
import { busTarget } from '../declaration.js';
import { startDeployment } from '../use-cases/start-deployment.js';

export const declaration = busTarget({
  description: 'Target of the StartDeployment rule: records the deployment and starts its workflow',
  ports: ['catalog', 'deployments', 'workflows', 'clock'],
  use: { workflows: { starts: ['deployment'] } },
  detail: (detail) => deploymentRequested.parse(detail),
  useCase: startDeployment,
});
