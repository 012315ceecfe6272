import { awsCatalogStore, awsChat, awsClock, awsProvisioningStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { provisioningTaskInput } from './task-inputs.js';
import { completeProvisioning } from './use-cases/provisioning.js';

/** Provisioning workflow task: record the outputs and the secret path, tell the team. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'catalog' | 'chat' | 'clock'>) =>
  workflowTask(provisioningTaskInput, (input) => completeProvisioning(deps, input));

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), catalog: awsCatalogStore(), chat: awsChat(), clock: awsClock }));
