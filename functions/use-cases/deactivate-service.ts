import type { Service } from '../domain/catalog.js';
import type { CatalogStore, Clock } from '../ports/index.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';

/**
 * INACTIVE: the repository no longer deploys it; the record and its history stay. With
 * `ownedBy`, only while that team owns it: the caller checked that team, and a service moved
 * since is returned unchanged.
 */
export async function deactivate(
  deps: { catalog: CatalogStore; clock: Clock },
  service: Service,
  reason: string,
  actor: string = WORKFLOW_ACTOR,
  ownedBy?: string,
): Promise<Service> {
  return deps.catalog.updateService(service.name, (current) =>
    current.status === 'INACTIVE' || (ownedBy !== undefined && current.team !== ownedBy)
      ? undefined
      : {
          service: { ...current, status: 'INACTIVE' },
          event: {
            at: deps.clock.now(),
            actor,
            action: 'service.deactivated',
            message: reason,
            fromStatus: current.status,
            toStatus: 'INACTIVE',
          },
        },
  );
}
