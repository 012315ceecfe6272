import { provisioningRequested } from '../../events/self-service-requested.js';
import { busTarget } from '../declaration.js';
import { startProvisioning } from '../use-cases/provisioning.js';

export const declaration = busTarget({
  description: 'Target of the StartProvisioning rule: starts the provisioning workflow of a stored request',
  ports: ['provisioning', 'workflows'],
  use: { readsOnly: true, workflows: { starts: ['provisioning'] } },
  detail: (detail) => provisioningRequested.parse(detail),
  useCase: startProvisioning,
});
