import { workflowTask } from '../declaration.js';
import { waveTaskInput } from '../task-inputs.js';
import { restoreWave } from '../use-cases/finish-deployment.js';

export const declaration = workflowTask({
  description: "Deployment task: commits a wave's previous digest back",
  ports: ['deployments', 'catalog', 'gitops', 'clock'],
  input: waveTaskInput,
  useCase: restoreWave,
});
