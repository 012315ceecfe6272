import { ENV, optionalEnv, requireEnv } from '../../../config.js';
import { GitHubGitOpsRepo } from '../github-gitops-repo.js';
import { githubAppOctokit } from './github-app.js';

export const gitops = () =>
  new GitHubGitOpsRepo(githubAppOctokit(), requireEnv(ENV.gitopsRepository), optionalEnv(ENV.gitopsBranch, 'main'));
