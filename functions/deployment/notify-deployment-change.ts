import { deploymentChanged } from '../../events/deployment-changed.js';
import { busTarget } from '../declaration.js';
import { notifyDeploymentChange } from '../use-cases/notify-deployment-change.js';

export const declaration = busTarget({
  description:
    'Target of the NotifyDeploymentChanged rule: Slack messages and GitHub Deployment statuses, once per transition',
  ports: ['catalog', 'chat', 'githubDeployments', 'metrics', 'idempotency'],
  use: { readsOnly: true },
  detail: (detail) => deploymentChanged.parse(detail),
  useCase: notifyDeploymentChange,
});
