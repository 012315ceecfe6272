import * as z from '../zod.js';
import { deploymentRequested, portalDeploymentRequested } from '../../events/deployment-requested.js';
import { PLATFORM_TEAM, environmentSchema, imageTagSchema } from '../domain/catalog.js';
import { mayOperate } from '../domain/authorization.js';
import { deploymentIdFor } from '../domain/deployment-id.js';
import { ConflictError, ForbiddenError, NotFoundError, RollbackTargetNotKnownGoodError } from '../errors.js';
import type { Service } from '../domain/catalog.js';
import type { CatalogStore, DeploymentStore, EventPublisher } from '../ports/index.js';
import { teamsOf, type Caller } from './callers.js';
import { listKnownGoodReleases } from './known-good.js';

/** Strict: a field Flightplan does not know (`dryRun`, a typo) is refused, never dropped. */
export const deploymentRequestSchema = z.strictObject({
  service: z.string().check(z.minLength(1)),
  environment: environmentSchema,
  /** The release tag (image tag) to deploy, for example v1.2.3. */
  version: imageTagSchema,
  mode: z._default(z.enum(['standard', 'rollback']), 'standard'),
  override: z.optional(
    z.strictObject({ reason: z.string().check(z.minLength(10, 'say why, in at least 10 characters')) }),
  ),
});
export type DeploymentRequestBody = z.infer<typeof deploymentRequestSchema>;

/**
 * A deploy asked for from the portal (typically a rollback to a known-good version). Only the
 * owning team or platform-team may ask; a version that was rolled back needs an override with a
 * reason; a rollback names a version a SUCCEEDED deployment recorded, or is refused with the list
 * of those. Nothing is written here: the request goes on the bus like any other.
 */
export async function requestDeployment(
  deps: { catalog: CatalogStore; deployments: DeploymentStore; bus: EventPublisher },
  caller: Caller,
  body: DeploymentRequestBody,
  idempotencyKey: string | undefined,
): Promise<{ deploymentId: string }> {
  const { service, teams } = await admitDeploymentRequest(deps, caller, body);
  const requestKey = `portal:${caller.id}:${idempotencyKey ?? `${body.service}:${body.environment}:${body.version}:${body.mode}:${Date.now()}`}`;
  const request = {
    service: service.name,
    environment: body.environment,
    version: body.version,
    imageTag: body.version,
    requestedBy: caller.id,
    requesters: [
      { personId: caller.id, ...(caller.github ? { github: caller.github } : {}), name: caller.name, bot: false },
    ],
    requestKey,
    trigger: { kind: 'manual' as const },
    mode: body.mode,
    ...(body.override
      ? { override: { by: caller.id, reason: body.override.reason, overridesFreeze: teams.includes(PLATFORM_TEAM) } }
      : {}),
  };
  await deps.bus.publish([
    {
      ...deploymentRequested.build(request, { causationId: `portal:${caller.id}` }),
      source: portalDeploymentRequested.source,
    },
  ]);
  return { deploymentId: deploymentIdFor(request) };
}

/**
 * Whether a deploy may be asked for at all, the same for a real request and its plan: the service
 * is active, the caller is in its team or platform-team, a version that was rolled back
 * comes with an override, and a rollback returns only to a known-good version.
 */
export async function admitDeploymentRequest(
  deps: { catalog: CatalogStore; deployments: DeploymentStore },
  caller: Caller,
  body: DeploymentRequestBody,
): Promise<{ service: Service; teams: string[] }> {
  const service = await deps.catalog.getService(body.service);
  if (!service) throw new NotFoundError(`Service ${body.service} is not in the catalog`);
  if (service.status !== 'ACTIVE')
    throw new ConflictError(`Service ${body.service} is ${service.status}: only an active service deploys`);
  const teams = await teamsOf(deps, caller);
  if (!mayOperate(teams, service.team)) {
    throw new ForbiddenError(`${caller.name} is neither in ${service.team} nor in platform-team`);
  }
  const bad = await deps.deployments.badVersion(service.name, body.version);
  if (bad && !body.override) {
    throw new ConflictError(
      `${service.name} ${body.version} was rolled back by ${bad.deploymentId} (${bad.reason}); send override.reason to deploy it anyway`,
    );
  }
  if (body.mode === 'rollback') {
    const knownGood = await listKnownGoodReleases(deps.deployments, service.name, body.environment);
    if (!knownGood.some((release) => release.version === body.version)) {
      const versions = knownGood.map((release) => release.version);
      throw new RollbackTargetNotKnownGoodError(
        `A rollback returns only to a version a SUCCEEDED deployment of ${service.name} in ${body.environment} recorded, and ${body.version} is not one (${versions.length > 0 ? `known-good: ${versions.join(', ')}` : 'none yet'}); deploy it with mode "standard" and its approval instead`,
        versions,
      );
    }
  }
  return { service, teams };
}
