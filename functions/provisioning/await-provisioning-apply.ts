import { awsClock, awsProvisioningStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { provisioningWaitInput } from './task-inputs.js';
import { awaitProvisioningApply } from './use-cases/provisioning.js';

/** Provisioning workflow task: park the token until the pull request is merged and applied. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'waits' | 'workflows' | 'clock'>) =>
  workflowTask(provisioningWaitInput, (input) => awaitProvisioningApply(deps, input));

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock }));
