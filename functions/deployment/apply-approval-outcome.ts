import { awsClock, awsDeploymentStore, awsLockStore } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { approvalOutcomeInput } from './task-inputs.js';
import { applyApprovalOutcome } from './use-cases/deployment-approval.js';

/** Deployment workflow task: resumes or ends the deployment after its approval. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'locks' | 'clock'>) =>
  workflowTask(approvalOutcomeInput, (input) => applyApprovalOutcome(deps, input));

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore(), locks: awsLockStore(), clock: awsClock }));
