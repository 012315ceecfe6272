import { awsDeploymentStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { rollbackTaskInput } from './task-inputs.js';
import { planRollback } from './use-cases/finish-deployment.js';

/** Deployment workflow task: Lists the waves to restore, newest first. */
export const createHandler = (deps: Pick<Dependencies, 'deployments'>) =>
  workflowTask(rollbackTaskInput, (input) => planRollback(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore() }));
