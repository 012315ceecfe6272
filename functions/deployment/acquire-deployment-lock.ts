import { onAws } from '../adapters/aws/compose.js';
import { workflowTask } from '../declaration.js';
import { deploymentTaskInput } from '../task-inputs.js';
import { acquireDeploymentLock } from '../use-cases/acquire-deployment-lock.js';

export const declaration = workflowTask({
  description: 'Deployment task: takes the per-(service, environment) lock and marks the deployment IN_PROGRESS',
  ports: ['deployments', 'locks', 'waits', 'workflows', 'clock'],
  use: { workflows: { signals: ['deployment'] } },
  input: deploymentTaskInput,
  useCase: acquireDeploymentLock,
});

export const handler = onAws(declaration);
