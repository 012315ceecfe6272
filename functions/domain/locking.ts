import type { Environment } from './catalog.js';

export interface LockClaim {
  deploymentId: string;
  requestedAt: string;
}

/**
 * Who gets the per-(service, environment) lock when it is held. In HML the newest request wins
 * and the holder is superseded (a later push makes the earlier one pointless); a request older
 * than the holder is itself superseded. In PROD nobody is interrupted: the newcomer waits.
 */
export function decideLockContention(environment: Environment, holder: LockClaim, candidate: LockClaim): 'take-over' | 'superseded' | 'wait' {
  if (environment === 'prod') return 'wait';
  const candidateIsNewer =
    candidate.requestedAt > holder.requestedAt ||
    (candidate.requestedAt === holder.requestedAt && candidate.deploymentId > holder.deploymentId);
  return candidateIsNewer ? 'take-over' : 'superseded';
}

export const lockKey = (service: string, environment: Environment): string => `${service}#${environment}`;

export const bakeWaitKey = (service: string, environment: Environment, region: string): string =>
  `bake#${service}#${environment}#${region}`;

export const argoWaitKey = (service: string, environment: Environment, region: string): string =>
  `argocd#${service}#${environment}#${region}`;
