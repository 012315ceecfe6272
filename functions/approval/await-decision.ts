import { workflowTask } from '../declaration.js';
import { approvalWaitInput } from './task-inputs.js';
import { awaitDecision } from '../use-cases/approvals.js';

export const declaration = workflowTask({
  description: 'Approval task: parks the token until a vote decides',
  ports: ['approvals', 'waits', 'workflows', 'clock'],
  use: { workflows: { signals: ['approval'] } },
  input: approvalWaitInput,
  useCase: awaitDecision,
});
