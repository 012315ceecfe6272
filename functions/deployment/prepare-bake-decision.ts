import { awsCatalogStore, awsDeploymentStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waveTaskInput } from './task-inputs.js';
import { prepareBakeDecision } from './use-cases/bake.js';

/** Deployment workflow task: the continue / roll back question for an inconclusive bake. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog'>) =>
  workflowTask(waveTaskInput, (input) => prepareBakeDecision(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore() }));
