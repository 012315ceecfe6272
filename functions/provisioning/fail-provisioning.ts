import { awsClock, awsProvisioningStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { provisioningFailureInput } from './task-inputs.js';
import { failProvisioning } from './use-cases/provisioning.js';

/** Provisioning workflow task: end the request FAILED with the reason. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'clock'>) =>
  workflowTask(provisioningFailureInput, (input) => failProvisioning(deps, input));

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), clock: awsClock }));
