import { Octokit } from '@octokit/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveGithubScope } from '../../functions/adapters/aws/ports/github-app.js';
import {
  GithubTokenScopeError,
  installationTokenRequest,
  scopedInstallationAuth,
} from '../../functions/adapters/aws/scoped-installation-auth.js';
import { ENV } from '../../functions/config.js';
import type { PortName } from '../../functions/declaration.js';
import { githubTokenScope, type GithubPort } from '../../functions/github-token-scopes.js';
import { FUNCTIONS } from '../../infra/system.js';

const GITHUB_PORTS: readonly PortName[] = ['gitops', 'githubDeployments', 'codeHost'];
const savedEnv = { ...process.env };

beforeEach(() => {
  process.env[ENV.gitopsRepository] = 'acme/gitops';
  process.env[ENV.terraformRepository] = 'acme/terraform-live';
});
afterEach(() => {
  process.env = { ...savedEnv };
});

/** The token request each function's GitHub port makes for a call about `acme/orders-api`. */
function tokenRequestsOf(id: keyof typeof FUNCTIONS) {
  const { declaration } = FUNCTIONS[id].module;
  return declaration.ports
    .filter((port) => GITHUB_PORTS.includes(port))
    .map((port) =>
      installationTokenRequest(
        resolveGithubScope(githubTokenScope(port as GithubPort, declaration.use)),
        '/repos/acme/orders-api/contents/catalog-info.yaml',
      ),
    );
}

describe('GitHub installation token scopes', () => {
  it.each([
    ['notifyDeploymentChange', [{ repositoryNames: ['orders-api'], permissions: { deployments: 'write' } }]],
    ['deployWave', [{ repositoryNames: ['gitops'], permissions: { contents: 'write' } }]],
    ['restoreWave', [{ repositoryNames: ['gitops'], permissions: { contents: 'write' } }]],
    ['commitServiceGitOps', [{ repositoryNames: ['gitops'], permissions: { contents: 'write' } }]],
    [
      'openProvisioningPullRequest',
      [{ repositoryNames: ['terraform-live'], permissions: { contents: 'write', pull_requests: 'write' } }],
    ],
    [
      'createServiceRepositories',
      [{ permissions: { administration: 'write', contents: 'write', pull_requests: 'write' } }],
    ],
    ['syncCatalogFile', [{ repositoryNames: ['orders-api'], permissions: { contents: 'read' } }]],
  ] as const)('asks for the token of %s with only its repositories and permissions', (id, expected) => {
    expect(tokenRequestsOf(id)).toEqual(expected);
  });

  it('gives no other function a GitHub port', () => {
    const withGithub = (Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[])
      .filter((id) => FUNCTIONS[id].module.declaration.ports.some((port) => GITHUB_PORTS.includes(port)))
      .sort();
    expect(withGithub).toEqual([
      'commitServiceGitOps',
      'createServiceRepositories',
      'deployWave',
      'notifyDeploymentChange',
      'openProvisioningPullRequest',
      'restoreWave',
      'syncCatalogFile',
    ]);
  });

  it('refuses to use a token scoped to the called repository for a request about no repository', () => {
    expect(() =>
      installationTokenRequest({ repositories: 'called', permissions: { deployments: 'write' } }, '/user/repos'),
    ).toThrow(GithubTokenScopeError);
  });

  it('sends the scope in POST /app/installations/{id}/access_tokens and uses that token for the call', async () => {
    const requests: { method: string; url: string; authorization: string; body: unknown }[] = [];
    const fetch = (url: string, init: RequestInit) => {
      const headers = new Headers(init.headers);
      requests.push({
        method: init.method ?? 'GET',
        url,
        authorization: headers.get('authorization') ?? '',
        body: typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
      });
      const body = url.endsWith('/access_tokens')
        ? { token: 'ghs_scoped', expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: {} }
        : [];
      return Promise.resolve(
        new Response(JSON.stringify(body), {
          status: url.endsWith('/access_tokens') ? 201 : 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    };
    const octokit = new Octokit({
      baseUrl: 'https://github.test/api/v3',
      request: { fetch },
      authStrategy: scopedInstallationAuth,
      auth: {
        appId: 1,
        installationId: 42,
        createJwt: () => Promise.resolve({ jwt: 'app-jwt', expiresAt: new Date(Date.now() + 540_000).toISOString() }),
        scope: { repositories: 'called', permissions: { deployments: 'write' } },
      },
    });
    await octokit.request('GET /repos/{owner}/{repo}/deployments', {
      owner: 'acme',
      repo: 'orders-api',
      ref: 'v1',
      environment: 'prod',
    });
    expect(requests.map(({ method, url, authorization, body }) => ({ method, url, authorization, body }))).toEqual([
      {
        method: 'POST',
        url: 'https://github.test/api/v3/app/installations/42/access_tokens',
        authorization: 'bearer app-jwt',
        body: { repositories: ['orders-api'], permissions: { deployments: 'write' } },
      },
      {
        method: 'GET',
        url: 'https://github.test/api/v3/repos/acme/orders-api/deployments?ref=v1&environment=prod',
        authorization: 'token ghs_scoped',
        body: undefined,
      },
    ]);
  });
});
