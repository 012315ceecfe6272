import { TERRAFORM_PULL_REQUEST_CLOSED_DETAIL_TYPE, terraformApplyCompleted, terraformPullRequestClosed } from '../events/terraform-changed.js';
import { awsClock, awsProvisioningStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { recordTerraformApply, recordTerraformPullRequestClosed } from './use-cases/provisioning.js';

/** Target of the TerraformChanged rule: a merged or closed Terraform pull request, or a finished apply, moves its provisioning request. */
export const createHandler = (deps: Pick<Dependencies, 'provisioning' | 'waits' | 'workflows' | 'clock'>) =>
  busEventHandler(
    (detail) => detail,
    (detail, event) =>
      event['detail-type'] === TERRAFORM_PULL_REQUEST_CLOSED_DETAIL_TYPE
        ? recordTerraformPullRequestClosed(deps, terraformPullRequestClosed.parse(detail))
        : recordTerraformApply(deps, terraformApplyCompleted.parse(detail)),
  );

export const handler = onAws(() => createHandler({ provisioning: awsProvisioningStore(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock }));
