import { serviceCreationRequested } from '../../events/self-service-requested.js';
import { busTarget } from '../declaration.js';
import { startServiceCreation } from '../use-cases/service-creation.js';

export const declaration = busTarget({
  description: 'Target of the StartServiceCreation rule: starts the service-creation workflow',
  ports: ['workflows'],
  use: { workflows: { starts: ['serviceCreation'] } },
  detail: (detail) => serviceCreationRequested.parse(detail),
  useCase: startServiceCreation,
});
