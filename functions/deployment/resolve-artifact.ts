import { workflowTask } from '../declaration.js';
import { deploymentTaskInput } from '../task-inputs.js';
import { resolveArtifact } from '../use-cases/resolve-artifact.js';

export const declaration = workflowTask({
  description: 'Deployment task: pins the deployment to the image digest of its tag',
  ports: ['deployments', 'catalog', 'artifacts', 'clock'],
  input: deploymentTaskInput,
  useCase: resolveArtifact,
});
