import { awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { serviceCreationRequested } from '../events/self-service-requested.js';
import { startServiceCreation } from './use-cases/service-creation.js';

/** Target of the StartServiceCreation rule: starts the service-creation workflow. */
export const createHandler = (deps: Pick<Dependencies, 'workflows'>) =>
  busEventHandler((detail) => serviceCreationRequested.parse(detail), (event) => startServiceCreation(deps, event));

export const handler = onAws(() => createHandler({ workflows: awsWorkflows() }));
