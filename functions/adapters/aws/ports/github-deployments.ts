import { githubTokenScope } from '../../../github-token-scopes.js';
import { OctokitGithubDeployments } from '../octokit-github-deployments.js';
import { githubAppOctokit } from './github-app.js';

export const githubDeployments = () =>
  new OctokitGithubDeployments(githubAppOctokit(githubTokenScope('githubDeployments', {})));
