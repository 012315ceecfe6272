import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Octokit } from '@octokit/core';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ENV, PUBLIC_API_URLS, optionalEnv, requireEnv } from '../../../config.js';
import type { GithubTokenScope } from '../../../github-token-scopes.js';
import type { GithubClient } from '../github-code-host.js';
import { lazily } from '../lazily.js';
import { scopedInstallationAuth, type ResolvedTokenScope } from '../scoped-installation-auth.js';

const GITHUB_APP_JWT_SECONDS = 540;

/**
 * Signs the GitHub App JWT ourselves so the private key is read from Secrets Manager when a token
 * is needed (cached by Powertools) instead of sitting in an environment variable.
 */
async function createGithubAppJwt(
  appId: string | number,
  timeDifference = 0,
): Promise<{ jwt: string; expiresAt: string }> {
  const pem = await getSecret(requireEnv(ENV.githubAppPrivateKeySecretArn), { maxAge: 300 });
  if (typeof pem !== 'string') throw new Error('The GitHub App private key secret must be a PEM string');
  const issuedAt = Math.floor(Date.now() / 1000) + timeDifference - 30;
  const expiresAt = issuedAt + GITHUB_APP_JWT_SECONDS;
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(String(appId))
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(createPrivateKey(pem));
  return { jwt, expiresAt: new Date(expiresAt * 1000).toISOString() };
}

/** A scope's settings repositories, by the variables the port's grant sets. */
export const resolveGithubScope = ({ repositories, permissions }: GithubTokenScope): ResolvedTokenScope => ({
  permissions,
  repositories:
    repositories === 'gitops'
      ? [requireEnv(ENV.gitopsRepository)]
      : repositories === 'terraform'
        ? [requireEnv(ENV.terraformRepository)]
        : repositories,
});

/**
 * An Octokit whose installation tokens carry only `scope` (github-token-scopes.ts); shared by the
 * GitHub ports. Octokit is loaded and made on first use, like the Slack client.
 */
export const githubAppOctokit = (scope: GithubTokenScope): GithubClient => {
  requireEnv(ENV.githubAppPrivateKeySecretArn);
  const settings = {
    baseUrl: optionalEnv(ENV.githubApiUrl, PUBLIC_API_URLS.github),
    auth: {
      appId: requireEnv(ENV.githubAppId),
      installationId: requireEnv(ENV.githubAppInstallationId),
      createJwt: createGithubAppJwt,
      scope: resolveGithubScope(scope),
    },
  };
  return lazily(async (): Promise<Octokit> => {
    const { Octokit } = await import('@octokit/core');
    return new Octokit({ ...settings, authStrategy: scopedInstallationAuth });
  });
};
