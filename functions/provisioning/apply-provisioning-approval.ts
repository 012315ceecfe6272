import { workflowTask } from '../declaration.js';
import { provisioningApprovalInput } from '../task-inputs.js';
import { applyProvisioningApproval } from '../use-cases/provisioning.js';

export const declaration = workflowTask({
  description: 'Provisioning task: go on after an approval, or end REJECTED',
  ports: ['provisioning', 'clock'],
  input: provisioningApprovalInput,
  useCase: applyProvisioningApproval,
});
