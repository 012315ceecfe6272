import { awsCatalogStore, awsClock, awsCodeHost, awsSelfService } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { serviceTaskInput } from './task-inputs.js';
import { createServiceRepositories } from './use-cases/service-creation.js';

/** Service-creation workflow task: code repository from its template with catalog-info.yaml, and the infra repository. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'codeHost' | 'clock' | 'selfService'>) =>
  workflowTask(serviceTaskInput, (input) => createServiceRepositories(deps, input));

export const handler = onAws(() => createHandler({ catalog: awsCatalogStore(), codeHost: awsCodeHost(), clock: awsClock, selfService: awsSelfService() }));
