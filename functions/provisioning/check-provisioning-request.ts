import { workflowTask } from '../declaration.js';
import { provisioningTaskInput } from '../task-inputs.js';
import { checkProvisioningRequest } from '../use-cases/provisioning.js';

export const declaration = workflowTask({
  description: 'Provisioning task: policy check again, then which approval the request needs',
  ports: ['provisioning', 'catalog', 'clock', 'selfService'],
  input: provisioningTaskInput,
  useCase: checkProvisioningRequest,
});
