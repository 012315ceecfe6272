import type { Environment } from '../domain/catalog.js';
import type { Deployment } from '../domain/deployment.js';
import { knownGoodReleases, type KnownGoodRelease } from '../domain/known-good.js';
import type { DeploymentStore } from '../ports/index.js';

/** Every version a SUCCEEDED deployment of the service recorded in the environment, newest first. */
export async function listKnownGoodReleases(
  deployments: DeploymentStore,
  service: string,
  environment: Environment,
): Promise<KnownGoodRelease[]> {
  const succeeded: Deployment[] = [];
  let cursor: string | undefined;
  do {
    const page = await deployments.list(
      { service, environment, status: 'SUCCEEDED' },
      { limit: 100, ...(cursor ? { cursor } : {}) },
    );
    succeeded.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return knownGoodReleases(succeeded);
}
