import { awsClock, awsDeploymentStore, awsHealth, awsWaitStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waveTaskInput } from './task-inputs.js';
import { runHealthGate } from './use-cases/run-health-gate.js';

/** Deployment workflow task: Checks one wave against its tier's objectives. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'health' | 'waits' | 'clock'>) =>
  workflowTask(waveTaskInput, (input) => runHealthGate(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), health: awsHealth(), waits: awsWaitStore(), clock: awsClock }));
