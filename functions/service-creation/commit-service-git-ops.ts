import { awsCatalogStore, awsClock, awsGitOps, awsSelfService } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { serviceTaskInput } from './task-inputs.js';
import { commitServiceGitOps } from './use-cases/service-creation.js';

/** Service-creation workflow task: Argo CD Applications and Keycloak client in one GitOps commit. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'gitops' | 'clock' | 'selfService'>) =>
  workflowTask(serviceTaskInput, (input) => commitServiceGitOps(deps, input));

export const handler = onAws(() => createHandler({ catalog: awsCatalogStore(), gitops: awsGitOps(), clock: awsClock, selfService: awsSelfService() }));
