import { workflowTask } from '../declaration.js';
import { serviceTaskInput } from '../task-inputs.js';
import { registerService } from '../use-cases/service-creation.js';

export const declaration = workflowTask({
  description: 'Service creation task: the service goes ACTIVE in the catalog and deploys',
  ports: ['catalog', 'chat', 'clock'],
  input: serviceTaskInput,
  useCase: registerService,
});
