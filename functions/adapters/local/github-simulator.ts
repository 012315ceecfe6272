import type { GithubDeployments } from '../../ports/index.js';

export interface SimulatedGithubDeployment {
  id: number;
  repository: string;
  ref: string;
  environment: string;
  statuses: { state: string; description: string; at: string }[];
}

/** GitHub Deployments, recorded: one deployment per repository, ref and environment, with its statuses. */
export class GithubSimulator implements GithubDeployments {
  readonly deployments: SimulatedGithubDeployment[] = [];

  setStatus(notice: Parameters<GithubDeployments['setStatus']>[0]): Promise<void> {
    let deployment = this.deployments.find(
      (candidate) => candidate.repository === notice.repository && candidate.ref === notice.ref && candidate.environment === notice.environment,
    );
    if (!deployment) {
      deployment = { id: this.deployments.length + 1, repository: notice.repository, ref: notice.ref, environment: notice.environment, statuses: [] };
      this.deployments.push(deployment);
    }
    deployment.statuses.push({ state: notice.state, description: notice.description, at: new Date().toISOString() });
    return Promise.resolve();
  }
}
