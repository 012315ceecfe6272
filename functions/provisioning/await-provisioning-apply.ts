import { workflowTask } from '../declaration.js';
import { provisioningWaitInput } from '../task-inputs.js';
import { awaitProvisioningApply } from '../use-cases/provisioning.js';

export const declaration = workflowTask({
  description: 'Provisioning task: park the token until the pull request is merged and applied',
  ports: ['provisioning', 'waits', 'workflows', 'clock'],
  use: { workflows: { signals: ['provisioning'] } },
  input: provisioningWaitInput,
  useCase: awaitProvisioningApply,
});
