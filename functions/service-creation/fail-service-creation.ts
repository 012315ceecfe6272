import { workflowTask } from '../declaration.js';
import { serviceFailureInput } from '../task-inputs.js';
import { failServiceCreation } from '../use-cases/service-creation.js';

export const declaration = workflowTask({
  description: 'Service creation task: mark the service FAILED with the reason',
  ports: ['catalog', 'clock'],
  input: serviceFailureInput,
  useCase: failServiceCreation,
});
