import { awsFreezeWindows, awsCatalogStore, awsClock, awsDeploymentStore, awsGitOps, awsHealth, awsLockStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { waveTaskInput } from './task-inputs.js';
import { deployWave } from './use-cases/deploy-wave.js';

/** Deployment workflow task: Commits the new digest for one region to the GitOps repository, unless the region is in ALARM. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'gitops' | 'locks' | 'health' | 'clock' | 'freezeWindows'>) =>
  workflowTask(waveTaskInput, (input) => deployWave(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), gitops: awsGitOps(), locks: awsLockStore(), health: awsHealth(), clock: awsClock, freezeWindows: awsFreezeWindows() }));
