import { workflowTask } from '../declaration.js';
import { rollbackTaskInput } from '../task-inputs.js';
import { finishRollback } from '../use-cases/finish-deployment.js';

export const declaration = workflowTask({
  description: 'Deployment task: ends the deployment ROLLED_BACK, ABORTED or FAILED',
  ports: ['deployments', 'locks', 'clock'],
  input: rollbackTaskInput,
  useCase: finishRollback,
});
