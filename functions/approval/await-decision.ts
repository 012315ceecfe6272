import { awsApprovalStore, awsClock, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { approvalWaitInput } from './task-inputs.js';
import { awaitDecision } from './use-cases/approvals.js';

/** Approval workflow task: parks the token until a vote decides. */
export const createHandler = (deps: Pick<Dependencies, 'approvals' | 'waits' | 'workflows' | 'clock'>) =>
  workflowTask(approvalWaitInput, (input) => awaitDecision(deps, input));

export const handler = onAws(() => createHandler({ approvals: awsApprovalStore(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock }));
