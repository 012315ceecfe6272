import { deploymentRequested } from '../events/deployment-requested.js';
import { awsCatalogStore, awsClock, awsDeploymentStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { startDeployment } from './use-cases/start-deployment.js';

/** Target of the StartDeployment rule: records the deployment and starts its workflow. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'deployments' | 'workflows' | 'clock'>) =>
  busEventHandler((detail) => deploymentRequested.parse(detail), (request) => startDeployment(deps, request));

export const handler = onAws(() =>
  createHandler({ catalog: awsCatalogStore(), deployments: awsDeploymentStore(), workflows: awsWorkflows(), clock: awsClock }),
);
