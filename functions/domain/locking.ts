import type { Environment } from './catalog.js';
import { isTerminal, type Deployment, type DeploymentStatus } from './deployment.js';

export interface LockClaim {
  deploymentId: string;
  requestedAt: string;
}

/**
 * When a deployment was asked for, as the lock orders requests: for a pull request, the
 * `updated_at` its delivery carried, since deliveries arrive in any order (a failed one redelivered
 * by hand, two handled at once); otherwise when it was recorded.
 */
export function requestedAtOf(deployment: Pick<Deployment, 'createdAt' | 'trigger'>): string {
  const updatedAt = deployment.trigger.kind === 'pull_request' ? deployment.trigger.updatedAt : undefined;
  // createdAt's own format (milliseconds, Z), so that the two compare as strings.
  return updatedAt ? new Date(updatedAt).toISOString() : deployment.createdAt;
}

/**
 * Who gets the per-(service, environment) lock when it is held. In HML the newest request wins
 * and the holder is superseded (a later push makes the earlier one pointless); a request older
 * than the holder is itself superseded. In PROD nobody is interrupted: the newcomer waits.
 */
export function decideLockContention(
  environment: Environment,
  holder: LockClaim,
  candidate: LockClaim,
): 'take-over' | 'superseded' | 'wait' {
  if (environment === 'prod') return 'wait';
  const candidateIsNewer =
    candidate.requestedAt > holder.requestedAt ||
    (candidate.requestedAt === holder.requestedAt && candidate.deploymentId > holder.deploymentId);
  return candidateIsNewer ? 'take-over' : 'superseded';
}

export interface HolderGone {
  kind: 'ended' | 'execution-stopped' | 'lease-expired';
  reason: string;
}

/**
 * Whether a lock's holder still protects it. It does not when its deployment ended, when its
 * execution is no longer running (`UNKNOWN`: the engine has no such execution, as after a local
 * restart), or when its lease expired without renewal. A holder from before leases (no lease, no
 * execution) keeps its lock while its deployment runs.
 */
export function lockHolderGone(input: {
  holder: LockClaim & { executionArn?: string | undefined; leaseExpiresAt?: string | undefined };
  deploymentStatus: DeploymentStatus | undefined;
  executionStatus: string | undefined;
  now: string;
}): HolderGone | undefined {
  const { holder, deploymentStatus, executionStatus, now } = input;
  if (!deploymentStatus) return { kind: 'ended', reason: `deployment ${holder.deploymentId} does not exist` };
  if (isTerminal(deploymentStatus))
    return { kind: 'ended', reason: `deployment ${holder.deploymentId} ended ${deploymentStatus}` };
  if (executionStatus !== undefined && executionStatus !== 'RUNNING') {
    return {
      kind: 'execution-stopped',
      reason: `its execution ${holder.executionArn ?? ''} is ${executionStatus === 'UNKNOWN' ? 'unknown to the workflow engine' : executionStatus}`,
    };
  }
  if (holder.leaseExpiresAt && Date.parse(holder.leaseExpiresAt) <= Date.parse(now)) {
    return { kind: 'lease-expired', reason: `its lease expired at ${holder.leaseExpiresAt}` };
  }
  return undefined;
}

export const lockKey = (service: string, environment: Environment): string => `${service}#${environment}`;

export const bakeWaitKey = (service: string, environment: Environment, region: string): string =>
  `bake#${service}#${environment}#${region}`;

export const argoWaitKey = (service: string, environment: Environment, region: string): string =>
  `argocd#${service}#${environment}#${region}`;
