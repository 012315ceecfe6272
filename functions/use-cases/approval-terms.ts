import {
  APPROVAL_POLICIES,
  approvalTermsFor,
  type ApprovalPolicyName,
  type ApprovalTerms,
} from '../domain/approval.js';
import type { Requester } from '../domain/identity.js';
import type { CatalogStore } from '../ports/index.js';

// Apart from approvals.ts (votes, Slack messages, the approval workflow), so that a step that only
// asks a question, such as a bake's, does not bundle how approvals are counted.

/** The terms of an approval for these requesters, given who is in the policy's teams today. */
export async function approvalTermsWith(
  deps: { catalog: CatalogStore },
  policy: ApprovalPolicyName,
  team: string,
  requesters: Requester[],
): Promise<ApprovalTerms> {
  const teams = APPROVAL_POLICIES[policy].eligibleTeams(team);
  const members = Object.fromEntries(
    await Promise.all(teams.map(async (eligible) => [eligible, await deps.catalog.membersOf(eligible)] as const)),
  );
  return approvalTermsFor(policy, team, requesters, members);
}
