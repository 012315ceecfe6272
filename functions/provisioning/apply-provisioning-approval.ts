import { awsClock, awsProvisioningStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { provisioningApprovalInput } from './task-inputs.js';
import { applyProvisioningApproval } from './use-cases/provisioning.js';

/** Provisioning workflow task: go on after an approval, or end REJECTED. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'clock'>) =>
  workflowTask(provisioningApprovalInput, (input) => applyProvisioningApproval(deps, input));

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), clock: awsClock }));
