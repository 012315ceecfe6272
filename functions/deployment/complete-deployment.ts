import { awsClock, awsDeploymentStore, awsLockStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { deploymentTaskInput } from './task-inputs.js';
import { completeDeployment } from './use-cases/finish-deployment.js';

/** Deployment workflow task: Marks the deployment SUCCEEDED and frees its lock. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'locks' | 'clock'>) =>
  workflowTask(deploymentTaskInput, (input) => completeDeployment(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), locks: awsLockStore(), clock: awsClock }));
