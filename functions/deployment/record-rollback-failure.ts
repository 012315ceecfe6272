import { awsCatalogStore, awsClock, awsDeploymentStore, awsGitOps, awsLockStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { rollbackTaskInput } from './task-inputs.js';
import { recordRollbackFailure } from './use-cases/finish-deployment.js';

/** Deployment workflow task: Ends the deployment FAILED when its rollback failed. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'gitops' | 'locks' | 'clock'>) =>
  workflowTask(rollbackTaskInput, (input) => recordRollbackFailure(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), gitops: awsGitOps(), locks: awsLockStore(), clock: awsClock }));
