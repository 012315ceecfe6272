import { serviceCreationRequested } from '../../events/self-service-requested.js';
import { mayOperate } from '../domain/authorization.js';
import { deployChannelOf, PLATFORM_TEAM, type Service } from '../domain/catalog.js';
import { newService, reservedServiceNameProblem, type ServiceCreationBody } from '../domain/service-creation.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { CatalogStore, Chat, Clock, EventPublisher, SelfServiceSettings, WorkflowEngine } from '../ports/index.js';
import { teamsOf, type Caller } from './callers.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';
import { describeFailure, type WorkflowFailure } from './finish-deployment.js';

export async function loadService(catalog: CatalogStore, name: string): Promise<Service> {
  const service = await catalog.getService(name);
  if (!service) throw new NotFoundError(`Service ${name} does not exist`);
  return service;
}

/**
 * `POST /v1/services`: a member of the team (or platform-team) asks; the name is reserved in the
 * catalog with a conditional write (a taken name is a 409), and the service-creation workflow is
 * started through the bus. A name whose creation FAILED may be asked for again: the same record
 * goes back to CREATING (conditional on its revision) and a new attempt runs. Every step is
 * repeatable, so what the failed attempt already created is found, not duplicated. Only the team
 * that asked first, or platform-team, may ask again for a FAILED name; names whose repositories
 * would be the platform's own (Terraform, modules, GitOps, templates) are refused.
 */
export async function requestServiceCreation(
  deps: { catalog: CatalogStore; bus: EventPublisher; clock: Clock; selfService: SelfServiceSettings },
  caller: Caller,
  body: ServiceCreationBody,
): Promise<Service> {
  const teams = await teamsOf(deps, caller);
  if (!mayOperate(teams, body.team))
    throw new ForbiddenError(`${caller.name} is neither in ${body.team} nor in platform-team`);
  const reserved = reservedServiceNameProblem(body.name, deps.selfService);
  if (reserved) throw new ValidationError(`The name ${body.name} is reserved`, [{ path: 'name', message: reserved }]);
  const now = deps.clock.now();
  const requested = newService(body, deps.selfService, caller.id, now);
  const event = {
    at: now,
    actor: caller.id,
    action: 'service.requested',
    message: `${caller.name} asked for ${requested.name} (${requested.tier}, ${body.template}) for ${requested.team}`,
    toStatus: 'CREATING',
  };
  let service = requested;
  if ((await deps.catalog.createService({ service: requested, event })) === 'exists') {
    const existing = await deps.catalog.getService(body.name);
    if (existing?.status !== 'FAILED')
      throw new ConflictError(
        `A service named ${body.name} already exists${existing ? ` (${existing.status}, team ${existing.team})` : ''}`,
      );
    // What the failed attempt created belongs to its team: another team may not take it over.
    if ((existing.team !== body.team || !mayOperate(teams, existing.team)) && !teams.includes(PLATFORM_TEAM)) {
      throw new ConflictError(
        `The name ${body.name} belongs to team ${existing.team}; only ${existing.team} or platform-team may ask for it again`,
      );
    }
    service = await deps.catalog.updateService(body.name, (current) =>
      current.status === 'FAILED'
        ? {
            service: { ...requested, revision: current.revision },
            event: {
              ...event,
              message: `${event.message}, again after: ${current.failureReason ?? 'a failure'}`,
              fromStatus: 'FAILED',
            },
          }
        : undefined,
    );
    // Someone else asked again first: that attempt is theirs.
    if (service.createdAt !== now || service.createdBy !== caller.id)
      throw new ConflictError(`A service named ${body.name} is already being created again`);
  }
  await deps.bus.publish([
    serviceCreationRequested.build(
      { service: service.name, attempt: service.revision, requestedBy: caller.id },
      { correlationId: `service:${service.name}`, causationId: `portal:${caller.id}` },
    ),
  ]);
  return service;
}

/** One execution per attempt: execution names are never reused, so a retried creation needs its own. */
export function startServiceCreation(
  deps: { workflows: WorkflowEngine },
  input: { service: string; attempt: number },
): Promise<{ executionArn: string; alreadyStarted: boolean }> {
  return deps.workflows.start(
    'serviceCreation',
    input.attempt === 0 ? input.service : `${input.service}-${String(input.attempt)}`,
    { service: input.service },
  );
}

/** Appends an audit entry for a step, leaving the service as it is. */
export function recordStep(
  deps: { catalog: CatalogStore; clock: Clock },
  name: string,
  action: string,
  message: string,
): Promise<Service> {
  return deps.catalog.updateService(name, (current) => ({
    service: current,
    event: { at: deps.clock.now(), actor: WORKFLOW_ACTOR, action, message },
  }));
}

/** ACTIVE: its repository now maps to it, so its first labelled pull request deploys. */
export async function registerService(
  deps: { catalog: CatalogStore; chat: Chat; clock: Clock },
  input: { service: string },
): Promise<{ status: Service['status'] }> {
  const before = await loadService(deps.catalog, input.service);
  const service = await deps.catalog.updateService(input.service, (current) =>
    current.status === 'ACTIVE'
      ? undefined
      : {
          service: { ...current, status: 'ACTIVE' },
          event: {
            at: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'service.registered',
            message: `${current.name} is in the catalog; ${current.repository} deploys`,
            fromStatus: current.status,
            toStatus: 'ACTIVE',
          },
        },
  );
  if (before.status !== 'ACTIVE') {
    await deps.chat.post({
      channel: deployChannelOf(service),
      text: `:tada: ${service.name} (${service.tier}) is ready: https://github.com/${service.repository}. Label a pull request \`deploy-hml\` to deploy it.`,
    });
  }
  return { status: service.status };
}

export async function failServiceCreation(
  deps: { catalog: CatalogStore; clock: Clock },
  input: { service: string; failure: WorkflowFailure },
): Promise<{ status: Service['status'] }> {
  const reason = describeFailure(input.failure);
  const service = await deps.catalog.updateService(input.service, (current) =>
    current.status !== 'CREATING'
      ? undefined
      : {
          service: { ...current, status: 'FAILED', failureReason: reason },
          event: {
            at: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'service.failed',
            message: reason,
            fromStatus: 'CREATING',
            toStatus: 'FAILED',
          },
        },
  );
  return { status: service.status };
}
