import { awsCatalogStore, awsClock, awsProvisioningStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { provisioningTaskInput } from './task-inputs.js';
import { checkProvisioningRequest } from './use-cases/provisioning.js';

/** Provisioning workflow task: policy check again, then which approval the request needs. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'catalog' | 'clock'>) =>
  workflowTask(provisioningTaskInput, (input) => checkProvisioningRequest(deps, input));

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), catalog: awsCatalogStore(), clock: awsClock }));
