import {
  TERRAFORM_PULL_REQUEST_CLOSED_DETAIL_TYPE,
  terraformApplyCompleted,
  terraformPullRequestClosed,
} from '../../events/terraform-changed.js';
import { busTarget } from '../declaration.js';
import { recordTerraformChange, type TerraformChange } from '../use-cases/provisioning.js';

export const declaration = busTarget({
  description:
    'Target of the TerraformChanged rule: a merged or closed Terraform pull request, or a finished apply, moves its request',
  ports: ['provisioning', 'waits', 'workflows', 'clock'],
  use: { workflows: { signals: ['provisioning'] } },
  detail: (detail, event): TerraformChange =>
    event['detail-type'] === TERRAFORM_PULL_REQUEST_CLOSED_DETAIL_TYPE
      ? { pullRequestClosed: terraformPullRequestClosed.parse(detail) }
      : { applyCompleted: terraformApplyCompleted.parse(detail) },
  useCase: recordTerraformChange,
});
