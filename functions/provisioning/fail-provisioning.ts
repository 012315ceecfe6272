import { workflowTask } from '../declaration.js';
import { provisioningFailureInput } from '../task-inputs.js';
import { failProvisioning } from '../use-cases/provisioning.js';

export const declaration = workflowTask({
  description: 'Provisioning task: end the request FAILED with the reason',
  ports: ['provisioning', 'clock'],
  input: provisioningFailureInput,
  useCase: failProvisioning,
});
