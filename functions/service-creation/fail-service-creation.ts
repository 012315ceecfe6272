import { awsCatalogStore, awsClock } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { serviceFailureInput } from './task-inputs.js';
import { failServiceCreation } from './use-cases/service-creation.js';

/** Service-creation workflow task: mark the service FAILED with the reason. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'clock'>) =>
  workflowTask(serviceFailureInput, (input) => failServiceCreation(deps, input));

export const handler = onAws(() => createHandler({ catalog: awsCatalogStore(), clock: awsClock }));
