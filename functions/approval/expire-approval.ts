import { awsApprovalStore, awsChat, awsClock } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { approvalIdInput } from './task-inputs.js';
import { expireApproval } from './use-cases/approvals.js';

/** Approval workflow task: ends an approval nobody decided in time. */
export const createHandler = (deps: Pick<Dependencies, 'approvals' | 'chat' | 'clock'>) =>
  workflowTask(approvalIdInput, (input) => expireApproval(deps, input));

export const handler = onAws(() => createHandler({ approvals: awsApprovalStore(), chat: awsChat(), clock: awsClock }));
