import { approvalIdFor, describeTerms, type ApprovalPolicyName } from '../domain/approval.js';
import { deployChannelOf } from '../domain/catalog.js';
import { transitionDeployment, type Deployment } from '../domain/deployment.js';
import { lockKey } from '../domain/locking.js';
import type { CatalogStore, Clock, DeploymentStore, LockStore } from '../ports/index.js';
import { requestersOfDeployment } from '../domain/deployment-requesters.js';
import { approvalTermsWith } from './approval-terms.js';
import type { ApprovalRequest } from './approvals.js';
import { renewDeploymentLock } from './acquire-deployment-lock.js';
import { WORKFLOW_ACTOR, assertRunnable, loadDeployment } from './deployment-context.js';

/**
 * Which approval a deployment needs: a standard PROD deploy needs the owning team; HML needs
 * none (the label is the intent) and neither does a rollback, which only ever returns to the
 * digests a SUCCEEDED deployment recorded (they passed their approval and bake when released),
 * which the owning team or platform-team asked for, and where speed matters. The gates still run.
 */
export function approvalPolicyFor(
  deployment: Pick<Deployment, 'environment' | 'mode'>,
): ApprovalPolicyName | undefined {
  return deployment.environment === 'prod' && deployment.mode === 'standard' ? 'prod-deploy' : undefined;
}

export async function prepareDeploymentApproval(
  deps: { deployments: DeploymentStore; catalog: CatalogStore; clock: Clock },
  input: { deploymentId: string },
): Promise<{ required: false } | { required: true; request: ApprovalRequest }> {
  const deployment = await loadDeployment(deps.deployments, input.deploymentId);
  assertRunnable(deployment);
  const policy = approvalPolicyFor(deployment);
  if (!policy) return { required: false };
  const service = await deps.catalog.getService(deployment.service);
  const requesters = requestersOfDeployment(deployment);
  const terms = await approvalTermsWith(deps, policy, deployment.team, requesters);
  const waitingFor = `Waiting for ${describeTerms(terms)} other than ${requesters.map((requester) => requester.name).join(' and ')} to approve${terms.note ? ` (${terms.note})` : ''}`;
  await deps.deployments.update(deployment.id, (current) =>
    current.status === 'AWAITING_APPROVAL'
      ? undefined
      : transitionDeployment(current, 'AWAITING_APPROVAL', {
          now: deps.clock.now(),
          actor: WORKFLOW_ACTOR,
          action: 'deployment.awaiting-approval',
          message: waitingFor,
        }),
  );
  return {
    required: true,
    request: {
      approvalId: approvalIdFor(deployment.id),
      policy,
      team: deployment.team,
      requestedBy: deployment.requestedBy,
      requesters,
      terms,
      subject: {
        kind: 'deployment',
        id: deployment.id,
        summary: `${deployment.service} ${deployment.version} → ${deployment.environment}`,
        binding: deployment.digest ?? deployment.imageTag,
      },
      channel: service ? deployChannelOf(service) : `#deploys-${deployment.team}`,
    },
  };
}

/** APPROVED resumes the rollout; REJECTED or EXPIRED ends the deployment REJECTED and frees the lock. */
export async function applyApprovalOutcome(
  deps: { deployments: DeploymentStore; locks: LockStore; clock: Clock },
  input: { deploymentId: string; status: string; reason?: string | null | undefined },
): Promise<{ approved: boolean }> {
  const approved = input.status === 'APPROVED';
  const deployment = await deps.deployments.update(input.deploymentId, (current) => {
    assertRunnable(current);
    return transitionDeployment(current, approved ? 'IN_PROGRESS' : 'REJECTED', {
      now: deps.clock.now(),
      actor: WORKFLOW_ACTOR,
      action: approved ? 'deployment.approved' : 'deployment.rejected',
      message: approved
        ? `Approved (${input.reason ?? 'quorum reached'})`
        : `Not approved: ${input.status.toLowerCase()} (${input.reason ?? 'no reason given'})`,
      ...(approved ? {} : { reason: `approval ${input.status.toLowerCase()}: ${input.reason ?? ''}` }),
    });
  });
  if (!approved) await deps.locks.release(lockKey(deployment.service, deployment.environment), deployment.id);
  // The approval may have taken most of a day: renew the lease before the rollout (or learn it was taken).
  else await renewDeploymentLock(deps, deployment);
  return { approved };
}
