import { onAws } from '../adapters/aws/compose.js';
import { workflowTask } from '../declaration.js';
import { provisioningTaskInput } from '../task-inputs.js';
import { checkProvisioningRequest } from '../use-cases/provisioning.js';

export const declaration = workflowTask({
  description: 'Provisioning task: policy check again, then which approval the request needs',
  ports: ['provisioning', 'catalog', 'clock'],
  input: provisioningTaskInput,
  useCase: checkProvisioningRequest,
});

export const handler = onAws(declaration);
