import { awsCatalogStore, awsClock, awsDeploymentStore, awsGitOps, awsLockStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waveTaskInput } from './task-inputs.js';
import { restoreWave } from './use-cases/finish-deployment.js';

/** Deployment workflow task: Commits a wave's previous digest back. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'gitops' | 'locks' | 'clock'>) =>
  workflowTask(waveTaskInput, (input) => restoreWave(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), gitops: awsGitOps(), locks: awsLockStore(), clock: awsClock }));
