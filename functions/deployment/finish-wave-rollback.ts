import { workflowTask } from '../declaration.js';
import { waveTaskInput } from '../task-inputs.js';
import { finishWaveRollback } from '../use-cases/finish-deployment.js';

export const declaration = workflowTask({
  description: 'Deployment task: marks a restored wave ROLLED_BACK',
  ports: ['deployments', 'clock'],
  input: waveTaskInput,
  useCase: finishWaveRollback,
});
