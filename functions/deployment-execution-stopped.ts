import { executionStatusChangeDetailSchema } from '../events/execution-status-changed.js';
import { awsClock, awsDeploymentStore, awsLockStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { endStoppedDeployment } from './use-cases/end-stopped-deployment.js';

/** Target of the DeploymentExecutionStopped rule: ends a stopped execution's deployment ABORTED and frees its lock. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'locks' | 'waits' | 'workflows' | 'clock'>) =>
  busEventHandler((detail) => executionStatusChangeDetailSchema.parse(detail), (change) => endStoppedDeployment(deps, change));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), locks: awsLockStore(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock }));
