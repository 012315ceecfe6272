import { workflowTask } from '../declaration.js';
import { rollbackTaskInput } from '../task-inputs.js';
import { planRollback } from '../use-cases/finish-deployment.js';

export const declaration = workflowTask({
  description: 'Deployment task: lists the waves to restore, newest first',
  ports: ['deployments'],
  use: { readsOnly: true },
  input: rollbackTaskInput,
  useCase: planRollback,
});
