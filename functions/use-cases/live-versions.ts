import { environmentSchema } from '../domain/catalog.js';
import type { Deployment } from '../domain/deployment.js';
import { liveVersions, type LiveRegion } from '../domain/live-versions.js';
import { NotFoundError } from '../errors.js';
import type { CatalogStore, DeploymentStore } from '../ports/index.js';

/** How far back the records are read: a region untouched for this many deployments is reported from the oldest. */
const HISTORY_PAGES = 4;

/** What is live where for one service: per environment and region, the version and digest, and what is on its way. */
export async function liveVersionsOf(
  deps: { catalog: CatalogStore; deployments: DeploymentStore },
  name: string,
): Promise<{ service: string; regions: LiveRegion[] }> {
  const service = await deps.catalog.getService(name);
  if (!service) throw new NotFoundError(`Service ${name} does not exist`);
  const history: Deployment[] = [];
  for (const environment of environmentSchema.options) {
    let cursor: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page += 1) {
      const result = await deps.deployments.list(
        { service: name, environment },
        { limit: 100, ...(cursor ? { cursor } : {}) },
      );
      history.push(...result.items);
      cursor = result.nextCursor ?? undefined;
      if (!cursor) break;
    }
  }
  return { service: name, regions: liveVersions(history, environmentSchema.options) };
}
