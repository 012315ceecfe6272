import { awsClock, awsDeploymentStore, awsLockStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { lockTaskInput } from './task-inputs.js';
import { acquireDeploymentLock } from './use-cases/acquire-deployment-lock.js';

/** Deployment workflow task: Takes the per-(service, environment) lock, under a lease, and marks the deployment IN_PROGRESS. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'locks' | 'waits' | 'workflows' | 'clock'>) =>
  workflowTask(lockTaskInput, (input) => acquireDeploymentLock(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), locks: awsLockStore(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock }));
