import { awsClock, awsDeploymentStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { bakeDecisionInput } from './task-inputs.js';
import { applyBakeDecision } from './use-cases/bake.js';

/** Deployment workflow task: continues or fails the wave after the answer. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'clock'>) =>
  workflowTask(bakeDecisionInput, (input) => applyBakeDecision(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), clock: awsClock }));
