import { awsClock, awsDeploymentStore, awsHealth, awsWaitStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waveTaskInput } from './task-inputs.js';
import { finishBake } from './use-cases/bake.js';

/** Deployment workflow task: Checks health and traffic at the end of a bake. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'waits' | 'health' | 'clock'>) =>
  workflowTask(waveTaskInput, (input) => finishBake(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), waits: awsWaitStore(), health: awsHealth(), clock: awsClock }));
