import type { PortUse } from '../../../declaration.js';
import { githubTokenScope } from '../../../github-token-scopes.js';
import { GitHubCodeHost } from '../github-code-host.js';
import { githubAppOctokit } from './github-app.js';

/** What the token may touch depends on the function: `use.github` says which repositories and permissions. */
export const codeHost = (use: PortUse) => new GitHubCodeHost(githubAppOctokit(githubTokenScope('codeHost', use)));
