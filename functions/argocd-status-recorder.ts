import { argoCdAppStatusChanged } from '../events/argocd-app-status-changed.js';
import { awsClock, awsDeploymentStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { recordArgoStatus } from './use-cases/record-argo-status.js';

/** Target of the Argo CD status rules: resumes or fails the deployment waiting for that application. */
export const createHandler = (deps: Pick<Dependencies, 'waits' | 'workflows' | 'deployments' | 'clock'>) =>
  busEventHandler((detail) => argoCdAppStatusChanged.parse(detail), (status) => recordArgoStatus(deps, status));

export const handler = onAws(() => createHandler({ waits: awsWaitStore(), workflows: awsWorkflows(), deployments: awsDeploymentStore(), clock: awsClock }));
