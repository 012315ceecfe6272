import type { Deployment } from './deployment.js';
import type { Requester } from './identity.js';

/**
 * Who asked for a deployment. Deployments recorded before requesters were kept name one
 * `requestedBy`, which is held against the voter both as a person id and as a GitHub login.
 */
export function requestersOfDeployment(deployment: Pick<Deployment, 'requesters' | 'requestedBy'>): Requester[] {
  return deployment.requesters.length > 0
    ? deployment.requesters
    : [
        {
          personId: deployment.requestedBy,
          github: { login: deployment.requestedBy },
          name: deployment.requestedBy,
          bot: false,
        },
      ];
}
