import { workflowTask } from '../declaration.js';
import { waveTaskInput } from '../task-inputs.js';
import { deployWave } from '../use-cases/deploy-wave.js';

export const declaration = workflowTask({
  description:
    'Deployment task: commits the new digest for one region to the GitOps repository, unless the region is in ALARM',
  ports: ['deployments', 'catalog', 'gitops', 'locks', 'health', 'clock', 'freezeWindows'],
  input: waveTaskInput,
  useCase: deployWave,
});
