import { workflowTask } from '../declaration.js';
import { serviceTaskInput } from '../task-inputs.js';
import { createServiceRepositories } from '../use-cases/service-repositories.js';

export const declaration = workflowTask({
  description:
    'Service creation task: code repository from its template with catalog-info.yaml, and the infra repository',
  ports: ['catalog', 'codeHost', 'clock', 'selfService'],
  use: { codeHost: 'createRepositories' },
  input: serviceTaskInput,
  useCase: createServiceRepositories,
});
