import { awsClock, awsDeploymentStore, awsHealth, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waitTaskInput } from './task-inputs.js';
import { startBake } from './use-cases/bake.js';

/** Deployment workflow task: Parks the bake's task token where alarms and Argo CD can fail it. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'waits' | 'health' | 'workflows' | 'clock'>) =>
  workflowTask(waitTaskInput, (input) => startBake(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), waits: awsWaitStore(), health: awsHealth(), workflows: awsWorkflows(), clock: awsClock }));
