import { awsProvisioningStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { provisioningRequested } from '../events/self-service-requested.js';
import { startProvisioning } from './use-cases/provisioning.js';

/** Target of the StartProvisioning rule: starts the provisioning workflow of a stored request. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'workflows'>) =>
  busEventHandler((detail) => provisioningRequested.parse(detail), (event) => startProvisioning(deps, event));

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), workflows: awsWorkflows() }));
