import { workflowTask } from '../declaration.js';
import { waitTaskInput } from '../task-inputs.js';
import { awaitArgoSync } from '../use-cases/await-argo-sync.js';

export const declaration = workflowTask({
  description: 'Deployment task: parks the task token until Argo CD reports the committed revision synced and healthy',
  ports: ['deployments', 'waits', 'workflows', 'clock'],
  use: { workflows: { signals: ['deployment'] } },
  input: waitTaskInput,
  useCase: awaitArgoSync,
});
