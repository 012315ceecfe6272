import { workflowTask } from '../declaration.js';
import { serviceTaskInput } from '../task-inputs.js';
import { commitServiceGitOps } from '../use-cases/service-repositories.js';

export const declaration = workflowTask({
  description: 'Service creation task: argo CD Applications and Keycloak client in one GitOps commit',
  ports: ['catalog', 'gitops', 'clock', 'selfService'],
  input: serviceTaskInput,
  useCase: commitServiceGitOps,
});
