import { workflowTask } from '../declaration.js';
import { waveTaskInput } from '../task-inputs.js';
import { prepareBakeDecision } from '../use-cases/bake.js';

export const declaration = workflowTask({
  description: 'Deployment task: the continue / roll back question for an inconclusive bake',
  ports: ['deployments', 'catalog'],
  use: { readsOnly: true },
  input: waveTaskInput,
  useCase: prepareBakeDecision,
});
