import { awsCatalogStore, awsClock, awsDeploymentStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { deploymentTaskInput } from './task-inputs.js';
import { prepareDeploymentApproval } from './use-cases/deployment-approval.js';

/** Deployment workflow task: asks the approval policy what this deployment needs. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'clock'>) =>
  workflowTask(deploymentTaskInput, (input) => prepareDeploymentApproval(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), clock: awsClock }));
