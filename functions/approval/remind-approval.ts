import { workflowTask } from '../declaration.js';
import { approvalReminderInput } from './task-inputs.js';
import { remindApproval } from '../use-cases/approvals.js';

export const declaration = workflowTask({
  description: 'Approval task: reminds the channel, and escalates to platform-team near expiry',
  ports: ['approvals', 'chat', 'clock'],
  input: approvalReminderInput,
  useCase: remindApproval,
});
