import { onAws } from '../adapters/aws/compose.js';
import { workflowTask } from '../declaration.js';
import { provisioningTaskInput } from '../task-inputs.js';
import { openProvisioningPullRequest } from '../use-cases/provisioning.js';

export const declaration = workflowTask({
  description: 'Provisioning task: render the Terraform and open its pull request',
  ports: ['provisioning', 'approvals', 'codeHost', 'clock', 'selfService'],
  use: { codeHost: 'terraformPullRequests' },
  input: provisioningTaskInput,
  useCase: openProvisioningPullRequest,
});

export const handler = onAws(declaration);
