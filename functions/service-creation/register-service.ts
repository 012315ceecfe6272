import { awsCatalogStore, awsChat, awsClock } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { serviceTaskInput } from './task-inputs.js';
import { registerService } from './use-cases/service-creation.js';

/** Service-creation workflow task: the service goes ACTIVE in the catalog and deploys. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'chat' | 'clock'>) =>
  workflowTask(serviceTaskInput, (input) => registerService(deps, input));

export const handler = onAws(() => createHandler({ catalog: awsCatalogStore(), chat: awsChat(), clock: awsClock }));
