import { workflowTask } from '../declaration.js';
import { approvalOutcomeInput } from '../task-inputs.js';
import { applyApprovalOutcome } from '../use-cases/deployment-approval.js';

export const declaration = workflowTask({
  description: 'Deployment task: resumes or ends the deployment after its approval',
  ports: ['deployments', 'locks', 'clock'],
  input: approvalOutcomeInput,
  useCase: applyApprovalOutcome,
});
