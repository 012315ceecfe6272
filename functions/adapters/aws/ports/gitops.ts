import { ENV, optionalEnv, requireEnv } from '../../../config.js';
import { githubTokenScope } from '../../../github-token-scopes.js';
import { GitHubGitOpsRepo } from '../github-gitops-repo.js';
import { githubAppOctokit } from './github-app.js';

export const gitops = () =>
  new GitHubGitOpsRepo(
    githubAppOctokit(githubTokenScope('gitops', {})),
    requireEnv(ENV.gitopsRepository),
    optionalEnv(ENV.gitopsBranch, 'main'),
  );
