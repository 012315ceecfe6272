import { workflowTask } from '../declaration.js';
import { bakeDecisionInput } from '../task-inputs.js';
import { applyBakeDecision } from '../use-cases/bake.js';

export const declaration = workflowTask({
  description: 'Deployment task: continues or fails the wave after the answer',
  ports: ['deployments', 'clock'],
  input: bakeDecisionInput,
  useCase: applyBakeDecision,
});
