import { awsApprovalStore, awsChat, awsClock } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { approvalReminderInput } from './task-inputs.js';
import { remindApproval } from './use-cases/approvals.js';

/** Approval workflow task: reminds the channel, and escalates to platform-team near expiry. */
export const createHandler = (deps: Pick<Dependencies, 'approvals' | 'chat' | 'clock'>) =>
  workflowTask(approvalReminderInput, (input) => remindApproval(deps, input));

export const handler = onAws(() => createHandler({ approvals: awsApprovalStore(), chat: awsChat(), clock: awsClock }));
