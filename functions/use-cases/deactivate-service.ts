import type { Service } from '../domain/catalog.js';
import type { CatalogStore, Clock } from '../ports/index.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';

/**
 * INACTIVE: the repository no longer deploys it; the record and its history stay. With
 * `onlyIfUnmoved`, only while the service still has the team and repository it had when the
 * caller checked them: one moved since is returned unchanged, still deploying.
 */
export async function deactivate(
  deps: { catalog: CatalogStore; clock: Clock },
  service: Service,
  reason: string,
  actor: string = WORKFLOW_ACTOR,
  onlyIfUnmoved = false,
): Promise<Service> {
  const moved = (current: Service) =>
    current.team !== service.team || current.repository.toLowerCase() !== service.repository.toLowerCase();
  return deps.catalog.updateService(service.name, (current) =>
    current.status === 'INACTIVE' || (onlyIfUnmoved && moved(current))
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
