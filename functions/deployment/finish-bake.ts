import { workflowTask } from '../declaration.js';
import { waveTaskInput } from '../task-inputs.js';
import { finishBake } from '../use-cases/bake.js';

export const declaration = workflowTask({
  description: 'Deployment task: checks health and traffic at the end of a bake',
  ports: ['deployments', 'waits', 'health', 'clock'],
  input: waveTaskInput,
  useCase: finishBake,
});
