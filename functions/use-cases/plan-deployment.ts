import type { ApprovalPolicyName } from '../domain/approval.js';
import { PLATFORM_TEAM } from '../domain/catalog.js';
import { isRequester, type Requester } from '../domain/identity.js';
import { planDeployment, type DeploymentPlan } from '../domain/deployment-plan.js';
import type { FreezeWindow } from '../domain/freeze-window.js';
import type { CatalogStore, Clock, DeploymentStore } from '../ports/index.js';
import type { Caller } from './callers.js';
import { approvalTermsWith } from './approval-terms.js';
import { approvalPolicyFor } from './deployment-approval.js';
import { admitDeploymentRequest, type DeploymentRequestBody } from './request-deployment.js';

/**
 * Who could decide an approval of `policy` for `team` now: the directory's members of the teams
 * the approval's terms name (with platform-team when the team is too small), never a requester.
 */
export async function eligibleApprovers(
  deps: { catalog: CatalogStore },
  policy: ApprovalPolicyName,
  team: string,
  requesters: Requester[],
): Promise<string[]> {
  const terms = await approvalTermsWith(deps, policy, team, requesters);
  const members = (await Promise.all(terms.eligibleTeams.map((eligible) => deps.catalog.membersOf(eligible)))).flat();
  return [...new Set(members.filter((person) => !isRequester(requesters, person)).map((person) => person.id))].sort();
}

/**
 * The dry run of POST /v1/deployments: the same admission, the same rollout plan, approval policy
 * and freeze windows, and nothing written or published.
 */
export async function planDeploymentRequest(
  deps: { catalog: CatalogStore; deployments: DeploymentStore; clock: Clock; freezeWindows: FreezeWindow[] },
  caller: Caller,
  body: DeploymentRequestBody,
): Promise<DeploymentPlan> {
  const { service, teams } = await admitDeploymentRequest(deps, caller, body);
  const approvalPolicy = approvalPolicyFor({ environment: body.environment, mode: body.mode });
  return planDeployment({
    service,
    environment: body.environment,
    version: body.version,
    mode: body.mode,
    approvalPolicy,
    eligibleApprovers: approvalPolicy
      ? await eligibleApprovers(deps, approvalPolicy, service.team, [
          { personId: caller.id, ...(caller.github ? { github: caller.github } : {}), name: caller.name, bot: false },
        ])
      : [],
    freezeWindows: deps.freezeWindows,
    overridesFreeze: body.override !== undefined && teams.includes(PLATFORM_TEAM),
    now: deps.clock.now(),
  });
}
