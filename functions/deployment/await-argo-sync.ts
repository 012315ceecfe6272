import { awsClock, awsDeploymentStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waitTaskInput } from './task-inputs.js';
import { awaitArgoSync } from './use-cases/await-argo-sync.js';

/** Deployment workflow task: Parks the task token until Argo CD reports the committed revision synced and healthy. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'waits' | 'workflows' | 'clock'>) =>
  workflowTask(waitTaskInput, (input) => awaitArgoSync(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock }));
