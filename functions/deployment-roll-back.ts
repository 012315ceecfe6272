import { awsCatalogStore, awsClock, awsDeploymentStore, awsGitOps, awsLockStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { rollbackTaskInput } from './task-inputs.js';
import { rollBackDeployment } from './use-cases/finish-deployment.js';

/** Deployment workflow task: Restores the previous digest of every wave touched and ends the deployment. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'gitops' | 'locks' | 'clock'>) =>
  workflowTask(rollbackTaskInput, (input) => rollBackDeployment(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), gitops: awsGitOps(), locks: awsLockStore(), clock: awsClock }));
