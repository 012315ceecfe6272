import { awsArtifacts, awsCatalogStore, awsClock, awsDeploymentStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { deploymentTaskInput } from './task-inputs.js';
import { resolveArtifact } from './use-cases/resolve-artifact.js';

/** Deployment workflow task: Pins the deployment to the image digest of its tag. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'artifacts' | 'clock'>) =>
  workflowTask(deploymentTaskInput, (input) => resolveArtifact(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), artifacts: awsArtifacts(), clock: awsClock }));
