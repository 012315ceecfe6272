import { awsApprovalStore, awsCatalogStore, awsChat, awsClock } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { approvalRequestInput } from './task-inputs.js';
import { requestApproval } from './use-cases/approvals.js';

/** Approval workflow task: creates the approval and posts its Slack message. */
export const createHandler = (deps: Pick<Dependencies, 'approvals' | 'chat' | 'clock' | 'catalog'>) =>
  workflowTask(approvalRequestInput, (input) => requestApproval(deps, input));

export const handler = onAws(() => createHandler({ approvals: awsApprovalStore(), chat: awsChat(), clock: awsClock, catalog: awsCatalogStore() }));
