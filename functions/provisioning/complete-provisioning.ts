import { workflowTask } from '../declaration.js';
import { provisioningTaskInput } from '../task-inputs.js';
import { completeProvisioning } from '../use-cases/provisioning.js';

export const declaration = workflowTask({
  description: 'Provisioning task: record the outputs and the secret path, tell the team',
  ports: ['provisioning', 'catalog', 'chat', 'clock'],
  input: provisioningTaskInput,
  useCase: completeProvisioning,
});
