import { workflowTask } from '../declaration.js';
import { lockTaskInput } from '../task-inputs.js';
import { acquireDeploymentLock } from '../use-cases/acquire-deployment-lock.js';

export const declaration = workflowTask({
  description:
    'Deployment task: takes the per-(service, environment) lock, under a lease, and marks the deployment IN_PROGRESS',
  ports: ['deployments', 'locks', 'waits', 'workflows', 'clock'],
  use: { workflows: { signals: ['deployment'], describes: ['deployment'] } },
  input: lockTaskInput,
  useCase: acquireDeploymentLock,
});
