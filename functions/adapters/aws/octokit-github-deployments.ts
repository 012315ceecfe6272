import type { GithubDeployments } from '../../ports/index.js';
import type { GithubClient } from './github-code-host.js';

/**
 * GitHub Deployments through the GitHub App. The deployment for a ref and environment is looked
 * up before it is created, so statuses from retried events land on the same one.
 */
export class OctokitGithubDeployments implements GithubDeployments {
  constructor(private readonly github: GithubClient) {}

  async setStatus(notice: Parameters<GithubDeployments['setStatus']>[0]): Promise<void> {
    const [owner = '', repo = ''] = notice.repository.split('/');
    const octokit = await this.github();
    const existing = await octokit.request('GET /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      ref: notice.ref,
      environment: notice.environment,
      per_page: 1,
    });
    let deploymentId = existing.data[0]?.id;
    if (deploymentId === undefined) {
      const created = await octokit.request('POST /repos/{owner}/{repo}/deployments', {
        owner,
        repo,
        ref: notice.ref,
        environment: notice.environment,
        auto_merge: false,
        required_contexts: [],
        transient_environment: false,
        production_environment: notice.environment.startsWith('prod'),
        description: 'Flightplan',
      });
      if (!('id' in created.data))
        throw new Error(
          `GitHub refused the deployment for ${notice.repository}@${notice.ref}: ${created.data.message ?? ''}`,
        );
      deploymentId = created.data.id;
    }
    await octokit.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      owner,
      repo,
      // @octokit/types 18 types ids as int64 (number | bigint); JSON.parse only ever gives numbers.
      deployment_id: Number(deploymentId),
      state: notice.state,
      description: notice.description,
    });
  }
}
