import { awsCatalogStore, awsClock, awsDeploymentStore, awsGitOps, awsLockStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waveTaskInput } from './task-inputs.js';
import { finishWaveRollback } from './use-cases/finish-deployment.js';

/** Deployment workflow task: Marks a restored wave ROLLED_BACK. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'gitops' | 'locks' | 'clock'>) =>
  workflowTask(waveTaskInput, (input) => finishWaveRollback(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), gitops: awsGitOps(), locks: awsLockStore(), clock: awsClock }));
