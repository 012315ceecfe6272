import * as z from '../functions/zod.js';
import { defineEvent } from './envelope.js';

export const TERRAFORM_PULL_REQUEST_CLOSED_DETAIL_TYPE = 'Terraform Pull Request Closed';
export const TERRAFORM_APPLY_COMPLETED_DETAIL_TYPE = 'Terraform Apply Completed';

/** A pull request on the Terraform repository was merged or closed (GitHub `pull_request` closed). */
export const terraformPullRequestClosed = defineEvent({
  source: 'flightplan.github',
  detailType: TERRAFORM_PULL_REQUEST_CLOSED_DETAIL_TYPE,
  dataSchema: z.object({
    repository: z.string(),
    number: z.number().check(z.int(), z.positive()),
    merged: z.boolean(),
    mergeCommitSha: z.nullable(z.string()),
    closedBy: z.string(),
  }),
});

/** The apply workflow finished on the Terraform repository (GitHub `workflow_run` completed). */
export const terraformApplyCompleted = defineEvent({
  source: 'flightplan.github',
  detailType: TERRAFORM_APPLY_COMPLETED_DETAIL_TYPE,
  dataSchema: z.object({
    repository: z.string(),
    headSha: z.string(),
    conclusion: z.string(),
    runUrl: z.string(),
    /** GitHub's `run_attempt`: a re-run of the same run has a higher one, and the newest counts. */
    runAttempt: z._default(z.number().check(z.int(), z.positive()), 1),
  }),
});

/** Both move a provisioning request waiting on its pull request. */
export const terraformChangedPattern = {
  source: ['flightplan.github'],
  'detail-type': [TERRAFORM_PULL_REQUEST_CLOSED_DETAIL_TYPE, TERRAFORM_APPLY_COMPLETED_DETAIL_TYPE],
} as const;

export const terraformApplyCompletedSample = terraformApplyCompleted.build(
  {
    repository: 'acme/terraform-live',
    headSha: '5e0c2b7a9d4f1e3c6b8a0d2f4e6c8a0b2d4f6e8a',
    conclusion: 'success',
    runUrl: 'https://github.com/acme/terraform-live/actions/runs/42',
  },
  { causationId: 'github:9a3e2d51-cc78-11e3-81ab-4c9367dc0958' },
);
