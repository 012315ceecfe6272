import { workflowTask } from '../declaration.js';
import { approvalRequestInput } from './task-inputs.js';
import { requestApproval } from '../use-cases/approvals.js';

export const declaration = workflowTask({
  description: 'Approval task: creates the approval and posts its Slack message',
  ports: ['approvals', 'chat', 'clock', 'catalog'],
  input: approvalRequestInput,
  useCase: requestApproval,
});
