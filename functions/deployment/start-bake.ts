import { workflowTask } from '../declaration.js';
import { waitTaskInput } from '../task-inputs.js';
import { startBake } from '../use-cases/bake.js';

export const declaration = workflowTask({
  description: "Deployment task: parks the bake's task token where alarms and Argo CD can fail it",
  ports: ['deployments', 'waits', 'health', 'workflows', 'clock'],
  use: { workflows: { signals: ['deployment'] } },
  input: waitTaskInput,
  useCase: startBake,
});
