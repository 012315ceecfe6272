import * as z from '../zod.js';
import {
  imageRepositorySchema,
  serviceNameSchema,
  serviceSchema,
  slackChannelSchema,
  tierSchema,
  type Service,
} from '../domain/catalog.js';
import { teamNameSchema } from '../domain/service-creation.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { CatalogStore, Clock } from '../ports/index.js';
import { assertPlatformTeam, type Caller } from './callers.js';
import { deactivate } from './deactivate-service.js';

/** PUT /v1/services/{name}: what platform-team sets by hand, as a catalog-info.yaml would. */
export const serviceRegistrationSchema = z.strictObject({
  repository: serviceSchema.shape.repository,
  team: teamNameSchema,
  tier: tierSchema,
  imageRepository: imageRepositorySchema,
  slackChannel: z.optional(slackChannelSchema),
  description: z.optional(z.string().check(z.maxLength(500))),
});
export type ServiceRegistration = z.infer<typeof serviceRegistrationSchema>;

/** Registers or changes a service ACTIVE, by hand. Another ACTIVE service owning the repository is a 409. */
export async function registerService(
  deps: { catalog: CatalogStore; clock: Clock },
  caller: Caller,
  name: string,
  body: ServiceRegistration,
): Promise<Service> {
  await assertPlatformTeam(deps, caller);
  serviceNameSchema.parse(name);
  const owner = await deps.catalog.findServiceByRepository(body.repository);
  if (owner && owner.name !== name)
    throw new ConflictError(
      `${body.repository} already deploys ${owner.name}; deactivate it first (DELETE /v1/services/${owner.name})`,
    );
  const now = deps.clock.now();
  const message = `${caller.name} registered ${name} by hand: ${body.repository}, ${body.tier}, team ${body.team}`;
  const created = await deps.catalog.createService({
    service: { name, ...body, status: 'ACTIVE', createdBy: caller.id, createdAt: now, revision: 0 },
    event: { at: now, actor: caller.id, action: 'service.registered', message, toStatus: 'ACTIVE' },
  });
  if (created === 'created') return loadService(deps.catalog, name);
  return deps.catalog.updateService(name, (current) => {
    if (current.status === 'CREATING')
      throw new ConflictError(`${name} is being created; wait until its workflow ends`);
    const { slackChannel: _slackChannel, description: _description, ...kept } = current;
    return {
      service: { ...kept, ...body, status: 'ACTIVE' },
      event: {
        at: deps.clock.now(),
        actor: caller.id,
        action: 'service.registered',
        message,
        ...(current.status === 'ACTIVE' ? {} : { fromStatus: current.status, toStatus: 'ACTIVE' }),
      },
    };
  });
}

/** DELETE /v1/services/{name}: INACTIVE, never deleted; its deployments and audit trail stay. */
export async function retireService(
  deps: { catalog: CatalogStore; clock: Clock },
  caller: Caller,
  name: string,
): Promise<Service> {
  await assertPlatformTeam(deps, caller);
  const service = await loadService(deps.catalog, name);
  if (service.status === 'CREATING') throw new ConflictError(`${name} is being created; wait until its workflow ends`);
  return deactivate(deps, service, `${caller.name} deactivated ${name}`, caller.id);
}

async function loadService(catalog: CatalogStore, name: string): Promise<Service> {
  const service = await catalog.getService(name);
  if (!service) throw new NotFoundError(`Service ${name} does not exist`);
  return service;
}
