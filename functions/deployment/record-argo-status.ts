import { argoCdAppStatusChanged } from '../../events/argocd-app-status-changed.js';
import { busTarget } from '../declaration.js';
import { recordArgoStatus } from '../use-cases/record-argo-status.js';

export const declaration = busTarget({
  description: 'Target of the Argo CD status rules: resumes or fails the deployment waiting for that application',
  ports: ['waits', 'workflows', 'deployments', 'clock', 'eventOrigins'],
  use: { workflows: { signals: ['deployment'] } },
  detail: (detail) => argoCdAppStatusChanged.parse(detail),
  useCase: recordArgoStatus,
});
