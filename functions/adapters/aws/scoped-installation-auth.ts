import { createAppAuth, type StrategyOptions } from '@octokit/auth-app';
import type { Octokit } from '@octokit/core';
import type { GithubPermissions, GithubTokenScope } from '../../github-token-scopes.js';

type RequestInterface = Octokit['request'];

/** A GithubTokenScope with its settings' repositories resolved to names (`owner/name`). */
export interface ResolvedTokenScope {
  repositories: readonly string[] | Exclude<GithubTokenScope['repositories'], 'gitops' | 'terraform'>;
  permissions: GithubPermissions;
}

/** What POST /app/installations/{id}/access_tokens is asked for, for a request to `path`. */
export interface InstallationTokenRequest {
  /** Repository names without the owner, as GitHub takes them; absent: every repository of the installation. */
  repositoryNames?: string[];
  permissions: GithubPermissions;
}

/** Thrown when a token scoped to the called repository is asked for by a request about no repository. */
export class GithubTokenScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GithubTokenScopeError';
  }
}

const REPOSITORY_PATH = /^\/repos\/([^/?#]+)\/([^/?#]+)/u;

/** The token a request to `path` (relative to the API's base URL) authenticates with. */
export function installationTokenRequest(scope: ResolvedTokenScope, path: string): InstallationTokenRequest {
  const { permissions } = scope;
  if (scope.repositories === 'installation') return { permissions };
  if (scope.repositories === 'called') {
    const repository = REPOSITORY_PATH.exec(path)?.[2];
    if (!repository)
      throw new GithubTokenScopeError(`A token scoped to the called repository cannot be used for ${path}`);
    return { repositoryNames: [decodeURIComponent(repository)], permissions };
  }
  return { repositoryNames: scope.repositories.map((fullName) => fullName.split('/').pop() ?? fullName), permissions };
}

/**
 * An Octokit auth strategy: the GitHub App's installation tokens, each asked for with only the
 * scope's repositories and permissions. @octokit/auth-app's own hook always asks for an unscoped
 * token; its `auth({ type: 'installation', repositoryNames, permissions })` takes a scope and
 * caches one token per scope, which is what this hook calls for every request. The App's own
 * routes (`/app/…`, signed with the App JWT) go through auth-app's hook unchanged.
 */
export function scopedInstallationAuth({ scope, ...options }: StrategyOptions & { scope: ResolvedTokenScope }) {
  const app = createAppAuth(options);
  const tokenFor = async (request: InstallationTokenRequest): Promise<string> =>
    (await app({ type: 'installation', ...request })).token;
  const hook = async (
    request: RequestInterface,
    route: Parameters<RequestInterface>[0],
    parameters?: Parameters<RequestInterface>[1],
  ) => {
    const endpoint = request.endpoint.merge(route, parameters);
    const { url } = request.endpoint.parse(endpoint);
    const baseUrl = request.endpoint.DEFAULTS.baseUrl.replace(/\/$/u, '');
    const path = (url.startsWith(baseUrl) ? url.slice(baseUrl.length) : new URL(url).pathname).replace(/[?#].*$/u, '');
    if (/^\/app(\/|$)/u.test(path)) return app.hook(request, route, parameters);
    endpoint.headers.authorization = `token ${await tokenFor(installationTokenRequest(scope, path))}`;
    return request({ ...endpoint, url: endpoint.url ?? url });
  };
  return Object.assign(() => tokenFor(installationTokenRequest(scope, '/')), { hook });
}
