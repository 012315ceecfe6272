import { executionStatusChangeDetailSchema } from '../../events/execution-status-changed.js';
import { busTarget } from '../declaration.js';
import { endStoppedDeployment } from '../use-cases/end-stopped-deployment.js';

export const declaration = busTarget({
  description:
    'Target of the DeploymentExecutionStopped rule: ends a stopped deployment execution ABORTED, voids its open approvals and frees its lock',
  ports: ['deployments', 'locks', 'waits', 'workflows', 'clock', 'approvals', 'chat'],
  use: { workflows: { signals: ['deployment', 'approval'] } },
  detail: (detail) => executionStatusChangeDetailSchema.parse(detail),
  useCase: endStoppedDeployment,
});
