import { awsApprovalStore, awsClock, awsCodeHost, awsProvisioningStore, awsSelfService } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { onAws, workflowTask } from './runtime.js';
import { provisioningTaskInput } from './task-inputs.js';
import { openProvisioningPullRequest } from './use-cases/provisioning.js';

/** Provisioning workflow task: render the Terraform and open its pull request. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'approvals' | 'codeHost' | 'clock' | 'selfService'>) =>
  workflowTask(provisioningTaskInput, (input) => openProvisioningPullRequest(deps, input));

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), approvals: awsApprovalStore(), codeHost: awsCodeHost(), clock: awsClock, selfService: awsSelfService() }));
