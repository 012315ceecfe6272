import { workflowTask } from '../declaration.js';
import { deploymentTaskInput } from '../task-inputs.js';
import { completeDeployment } from '../use-cases/finish-deployment.js';

export const declaration = workflowTask({
  description: 'Deployment task: marks the deployment SUCCEEDED and frees its lock',
  ports: ['deployments', 'locks', 'clock'],
  input: deploymentTaskInput,
  useCase: completeDeployment,
});
