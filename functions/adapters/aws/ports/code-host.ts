import { GitHubCodeHost } from '../github-code-host.js';
import { githubAppOctokit } from './github-app.js';

export const codeHost = () => new GitHubCodeHost(githubAppOctokit());
