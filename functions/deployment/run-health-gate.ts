import { workflowTask } from '../declaration.js';
import { waveTaskInput } from '../task-inputs.js';
import { runHealthGate } from '../use-cases/run-health-gate.js';

export const declaration = workflowTask({
  description: "Deployment task: checks one wave against its tier's objectives",
  ports: ['deployments', 'health', 'waits', 'clock'],
  input: waveTaskInput,
  useCase: runHealthGate,
});
