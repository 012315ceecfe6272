/**
 * The GitHub App installation token each GitHub port gets: only the repositories and permissions
 * its use needs. The App itself holds more (Administration and Contents write on the whole
 * organization, for service creation); a token asked for with `repositories` and `permissions`
 * (POST /app/installations/{id}/access_tokens) carries only those, so a notifier's token cannot
 * push code and a wave's token cannot touch any repository but the GitOps one.
 */
export type GithubPermission = 'administration' | 'contents' | 'deployments' | 'metadata' | 'pull_requests';
export type GithubPermissions = Partial<Record<GithubPermission, 'read' | 'write'>>;

export interface GithubTokenScope {
  /**
   * `gitops` / `terraform`: only that repository of the settings (FLIGHTPLAN_GITOPS_REPOSITORY,
   * FLIGHTPLAN_TERRAFORM_REPOSITORY); `called`: a token per repository, only the one each request
   * is about (`/repos/{owner}/{repo}/…`); `installation`: every repository the App is installed on,
   * which creating a repository needs (a token cannot name a repository that does not exist yet).
   */
  repositories: 'gitops' | 'terraform' | 'called' | 'installation';
  permissions: GithubPermissions;
}

/** What a function with the `codeHost` port does with it; its declaration says so in `use.codeHost`. */
export const CODE_HOST_SCOPES = {
  /** Provisioning: branches and pull requests on the Terraform repository. */
  terraformPullRequests: { repositories: 'terraform', permissions: { contents: 'write', pull_requests: 'write' } },
  /** Service creation: repositories from templates, their topics, first commits and pull requests. */
  createRepositories: {
    repositories: 'installation',
    permissions: { administration: 'write', contents: 'write', pull_requests: 'write' },
  },
  /** Catalog sync: reads `catalog-info.yaml` from the repository a push came from. */
  readCatalogFiles: { repositories: 'called', permissions: { contents: 'read' } },
} as const satisfies Record<string, GithubTokenScope>;

export type CodeHostUse = keyof typeof CODE_HOST_SCOPES;

/** The fixed scopes of the other GitHub ports. */
export const GITHUB_PORT_SCOPES = {
  /** Waves, rollbacks and service creation commit to the GitOps repository only. */
  gitops: { repositories: 'gitops', permissions: { contents: 'write' } },
  /** The notifier sets Deployment statuses on the repository a deployment came from, and nothing else. */
  githubDeployments: { repositories: 'called', permissions: { deployments: 'write' } },
} as const satisfies Record<string, GithubTokenScope>;

export type GithubPort = 'gitops' | 'githubDeployments' | 'codeHost';

/** The token scope of one GitHub port of a function, from its declaration's `use`. */
export function githubTokenScope(port: GithubPort, use: { codeHost?: CodeHostUse }): GithubTokenScope {
  if (port !== 'codeHost') return GITHUB_PORT_SCOPES[port];
  if (!use.codeHost) throw new Error('The codeHost port needs use.codeHost (what the function does with repositories)');
  return CODE_HOST_SCOPES[use.codeHost];
}
