import { workflowTask } from '../declaration.js';
import { deploymentTaskInput } from '../task-inputs.js';
import { prepareDeploymentApproval } from '../use-cases/deployment-approval.js';

export const declaration = workflowTask({
  description: 'Deployment task: asks the approval policy what this deployment needs',
  ports: ['deployments', 'catalog', 'clock'],
  input: deploymentTaskInput,
  useCase: prepareDeploymentApproval,
});
