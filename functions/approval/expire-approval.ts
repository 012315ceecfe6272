import { workflowTask } from '../declaration.js';
import { approvalIdInput } from './task-inputs.js';
import { expireApproval } from '../use-cases/approvals.js';

export const declaration = workflowTask({
  description: 'Approval task: ends an approval nobody decided in time',
  ports: ['approvals', 'chat', 'clock'],
  input: approvalIdInput,
  useCase: expireApproval,
});
