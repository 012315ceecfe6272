import { workflowTask } from '../declaration.js';
import { rollbackTaskInput } from '../task-inputs.js';
import { recordRollbackFailure } from '../use-cases/finish-deployment.js';

export const declaration = workflowTask({
  description: 'Deployment task: ends the deployment FAILED when its rollback failed',
  ports: ['deployments', 'locks', 'clock'],
  input: rollbackTaskInput,
  useCase: recordRollbackFailure,
});
