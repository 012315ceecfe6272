import * as z from '../zod.js';
import { portalDeploymentRequested } from '../../events/deployment-requested.js';
import { provisioningRequested, serviceCreationRequested } from '../../events/self-service-requested.js';
import { mayVote, type Approval } from '../domain/approval.js';
import { assertMayRead, mayRead, readScopeFor, readersOf, readersOfApproval } from '../domain/read-scope.js';
import { isReservedActor, loginSchema } from '../domain/catalog.js';
import { provisioningRequestBodySchema } from '../domain/provisioning.js';
import { serviceCreationBodySchema } from '../domain/service-creation.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors.js';
import {
  header,
  httpHandler,
  json,
  parseJson,
  rawBody,
  type HttpEvent,
  type HttpResult,
} from '../http/http-handler.js';
import { openApiDocument } from '../http/openapi.js';
import {
  approvalsQuerySchema,
  deploymentDetailSchema,
  deploymentPlanSchema,
  deploymentsQuerySchema,
  deploymentExecutionSchema,
  liveVersionsSchema,
  overrideBodySchema,
  provisioningDetailSchema,
  provisioningQuerySchema,
  provisioningRequestViewSchema,
  serviceDetailSchema,
  serviceViewSchema,
  servicesQuerySchema,
  voteBodySchema,
} from '../http/portal-schemas.js';
import { teamGroupParentFrom } from '../config.js';
import { httpFunction } from '../declaration.js';
import { abortDeployment } from '../use-cases/abort-deployment.js';
import { voteOnApproval } from '../use-cases/approvals.js';
import { readablePage } from '../use-cases/readable-page.js';
import { openCursor, sealCursor } from '../http/sealed-cursors.js';
import type { Page, Secret } from '../ports/index.js';
import { liveVersionsOf } from '../use-cases/live-versions.js';
import { overrideBlockedWave } from '../use-cases/override-wave.js';
import { planDeploymentRequest } from '../use-cases/plan-deployment.js';
import {
  assertPlatformTeam,
  callerFromClaims,
  withVerifiedGroups,
  recordSignIn,
  teamsOfSignedIn,
  type Caller,
} from '../use-cases/callers.js';
import { registerService, retireService, serviceRegistrationSchema } from '../use-cases/catalog-admin.js';
import { personUpdateSchema, setPerson } from '../use-cases/directory.js';
import { describeDeployment, describeDeploymentExecution, listDeployments } from '../use-cases/query-deployments.js';
import { submitProvisioningRequest } from '../use-cases/provisioning.js';
import { deploymentRequestSchema, requestDeployment } from '../use-cases/request-deployment.js';
import { requestServiceCreation } from '../use-cases/service-creation.js';

const pathId = (event: HttpEvent, name: string): string =>
  z.string().check(z.minLength(1)).parse(event.pathParameters?.[name]);

type PageQuery = { cursor?: string | undefined; limit: number } & Record<string, string | number | undefined>;

/**
 * A page of one listing with the items the caller may read, and its cursor sealed: the store's
 * cursor is the key of the last item read, which may be another team's (a deployment id names
 * service, environment and version). The filters are sealed in with it, so a cursor continues
 * the listing it came from only.
 */
async function sealedPage<T>(
  cursorKey: Secret,
  route: string,
  { cursor, limit, ...filters }: PageQuery,
  read: (page: { limit: number; cursor?: string }) => Promise<Page<T>>,
  readable: (item: T) => boolean,
): Promise<Page<T>> {
  const listing = {
    route,
    filters: Object.fromEntries(Object.entries(filters).map(([name, value]) => [name, value?.toString()])),
  };
  const page = await readablePage(
    read,
    { limit, ...(cursor ? { cursor: openCursor(await cursorKey.value(), listing, cursor) } : {}) },
    readable,
  );
  // The key only when a cursor comes or goes: a list that fits one page never needs Secrets Manager.
  const nextCursor = page.nextCursor ? sealCursor(await cursorKey.value(), listing, page.nextCursor) : null;
  return { items: page.items, nextCursor };
}

/** 202 with where to follow the accepted request. */
const accepted = (
  body: Record<string, unknown> & { href: string },
  extraHeaders: Record<string, string> = {},
): HttpResult => ({
  ...json(202, body),
  headers: { 'content-type': 'application/json', location: body.href, ...extraHeaders },
});

let openApi: string | undefined;

const idempotencyKeySchema = z.optional(z.string().check(z.minLength(1), z.maxLength(200)));

function idempotencyKeyOf(event: HttpEvent): string | undefined {
  const parsed = idempotencyKeySchema.safeParse(header(event, 'idempotency-key'));
  if (!parsed.success)
    throw new ValidationError('Idempotency-Key must be 1 to 200 characters', [
      { path: 'headers.idempotency-key', message: 'too long' },
    ]);
  return parsed.data;
}

const teamGroupParent = teamGroupParentFrom();

/** On AWS the API Gateway JWT authorizer has verified the token; locally the server has. */
export function callerOf(event: HttpEvent): Caller {
  const claims = withVerifiedGroups(event.requestContext?.authorizer?.jwt?.claims, header(event, 'authorization'));
  const caller = callerFromClaims(claims, teamGroupParent);
  // The name and id are written into pull requests and audit entries: refuse them here, not there.
  if (!loginSchema.safeParse(caller.name).success || !loginSchema.safeParse(caller.id).success) {
    throw new UnauthorizedError("The token's subject or username is not a valid login");
  }
  const reserved = [caller.name, caller.id].find(isReservedActor);
  if (reserved) throw new ForbiddenError(`${reserved} is a name Flightplan acts under; no person may use it`);
  return caller;
}

/** The portal API (/v1): one function, routed by API Gateway's route key. */
export const declaration = httpFunction({
  description: 'Portal API (/v1)',
  ports: [
    'deployments',
    'catalog',
    'bus',
    'waits',
    'workflows',
    'clock',
    'approvals',
    'chat',
    'metrics',
    'provisioning',
    'selfService',
    'locks',
    'freezeWindows',
    'cursorKey',
  ],
  use: {
    workflows: { signals: ['deployment', 'approval'], reads: ['deployment'] },
    publishes: [portalDeploymentRequested, provisioningRequested, serviceCreationRequested],
  },
  createHandler: (deps) =>
    httpHandler(async (event) => {
      if (event.routeKey === 'GET /v1/openapi.json') {
        openApi ??= JSON.stringify(openApiDocument());
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
          body: openApi,
        };
      }
      const caller = callerOf(event);
      // First use records the person; the directory then knows them on Slack and GitHub too.
      const person = await recordSignIn(deps, caller);
      const teams = teamsOfSignedIn(caller, person);
      const scope = readScopeFor(teams);
      /** A service the caller's teams may read; unknown names stay a 404. */
      const readableService = async (name: string) => {
        const service = await deps.catalog.getService(name);
        if (service) assertMayRead(scope, `Service ${name}`, readersOf(service));
        return service;
      };
      switch (event.routeKey) {
        case 'GET /v1/me':
          return json(200, person);
        case 'GET /v1/people/{id}': {
          const id = pathId(event, 'id');
          if (id !== caller.id) await assertPlatformTeam(deps, caller);
          const found = await deps.catalog.getPerson(id);
          if (!found) throw new NotFoundError(`Person ${id} is not in the directory`);
          return json(200, found);
        }
        case 'PUT /v1/people/{id}': {
          await assertPlatformTeam(deps, caller);
          return json(
            200,
            await setPerson(deps, pathId(event, 'id'), personUpdateSchema.parse(parseJson(rawBody(event)))),
          );
        }
        case 'POST /v1/deployments': {
          const body = deploymentRequestSchema.parse(parseJson(rawBody(event)));
          const { deploymentId } = await requestDeployment(deps, caller, body, idempotencyKeyOf(event));
          return accepted({ deploymentId, status: 'QUEUED', href: `/v1/deployments/${deploymentId}` });
        }
        case 'POST /v1/deployments/plan': {
          const body = deploymentRequestSchema.parse(parseJson(rawBody(event)));
          return json(200, deploymentPlanSchema.parse(await planDeploymentRequest(deps, caller, body)));
        }
        case 'POST /v1/deployments/{id}/override': {
          const body = overrideBodySchema.parse(parseJson(rawBody(event)));
          const deployment = await overrideBlockedWave(deps, caller, {
            deploymentId: pathId(event, 'id'),
            reason: body.reason,
          });
          return json(202, {
            deploymentId: deployment.id,
            status: deployment.status,
            waveOverrides: deployment.waveOverrides,
          });
        }
        case 'GET /v1/services/{name}/live': {
          const name = pathId(event, 'name');
          await readableService(name);
          return json(200, liveVersionsSchema.parse(await liveVersionsOf(deps, name)));
        }
        case 'POST /v1/provisioning-requests': {
          const body = provisioningRequestBodySchema.parse(parseJson(rawBody(event)));
          const { request, replayed } = await submitProvisioningRequest(deps, caller, body, idempotencyKeyOf(event));
          // A replay answers what the first call answered.
          return accepted(
            { id: request.id, status: 'REQUESTED', href: `/v1/provisioning-requests/${request.id}` },
            replayed ? { 'idempotent-replayed': 'true' } : {},
          );
        }
        case 'GET /v1/provisioning-requests': {
          const query = provisioningQuerySchema.parse(event.queryStringParameters ?? {});
          if (query.service) await readableService(query.service);
          const page = await sealedPage(
            deps.cursorKey,
            event.routeKey,
            query,
            (next) =>
              deps.provisioning.list(
                {
                  ...(query.service ? { service: query.service } : {}),
                  ...(query.environment ? { environment: query.environment } : {}),
                  ...(query.status ? { status: query.status } : {}),
                },
                next,
              ),
            (item) => mayRead(scope, readersOf(item)),
          );
          return json(200, {
            items: page.items.map((item) => provisioningRequestViewSchema.parse(item)),
            nextCursor: page.nextCursor,
          });
        }
        case 'GET /v1/provisioning-requests/{id}': {
          const id = pathId(event, 'id');
          const request = await deps.provisioning.get(id);
          if (!request) throw new NotFoundError(`Provisioning request ${id} does not exist`);
          assertMayRead(scope, `Provisioning request ${id}`, readersOf(request));
          const [events, approval] = await Promise.all([
            deps.provisioning.events(id),
            request.approvalId ? deps.approvals.get(request.approvalId) : undefined,
          ]);
          return json(200, provisioningDetailSchema.parse({ ...request, approval: approval ?? null, events }));
        }
        case 'POST /v1/services': {
          const body = serviceCreationBodySchema.parse(parseJson(rawBody(event)));
          const service = await requestServiceCreation(deps, caller, body);
          return accepted({ id: service.name, status: service.status, href: `/v1/services/${service.name}` });
        }
        case 'GET /v1/services': {
          const query = servicesQuerySchema.parse(event.queryStringParameters ?? {});
          if (query.team) assertMayRead(scope, `Team ${query.team}'s list of services`, [query.team]);
          const page = await sealedPage(
            deps.cursorKey,
            event.routeKey,
            query,
            (next) =>
              deps.catalog.listServicesPage(
                { ...(query.team ? { team: query.team } : {}), ...(query.status ? { status: query.status } : {}) },
                next,
              ),
            (item) => mayRead(scope, readersOf(item)),
          );
          return json(200, {
            items: page.items.map((item) => serviceViewSchema.parse(item)),
            nextCursor: page.nextCursor,
          });
        }
        case 'GET /v1/services/{name}': {
          const name = pathId(event, 'name');
          const service = await readableService(name);
          if (!service) throw new NotFoundError(`Service ${name} does not exist`);
          return json(200, serviceDetailSchema.parse({ ...service, events: await deps.catalog.serviceEvents(name) }));
        }
        case 'PUT /v1/services/{name}': {
          const service = await registerService(
            deps,
            caller,
            pathId(event, 'name'),
            serviceRegistrationSchema.parse(parseJson(rawBody(event))),
          );
          return json(200, serviceViewSchema.parse(service));
        }
        case 'DELETE /v1/services/{name}':
          return json(200, serviceViewSchema.parse(await retireService(deps, caller, pathId(event, 'name'))));
        case 'POST /v1/deployments/{id}/abort': {
          const deployment = await abortDeployment(deps, caller, pathId(event, 'id'));
          return json(202, {
            deploymentId: deployment.id,
            status: deployment.status,
            abortRequestedBy: deployment.abortRequestedBy,
          });
        }
        case 'GET /v1/deployments': {
          const query = deploymentsQuerySchema.parse(event.queryStringParameters ?? {});
          if (query.service) await readableService(query.service);
          return json(
            200,
            await sealedPage(
              deps.cursorKey,
              event.routeKey,
              query,
              (next) => listDeployments(deps, { ...query, limit: next.limit, cursor: next.cursor }),
              (item) => mayRead(scope, readersOf(item)),
            ),
          );
        }
        case 'GET /v1/deployments/{id}': {
          const deployment = await describeDeployment(deps, pathId(event, 'id'));
          assertMayRead(scope, `Deployment ${deployment.id}`, readersOf(deployment));
          return json(200, deploymentDetailSchema.parse(deployment));
        }
        case 'GET /v1/deployments/{id}/execution': {
          const id = pathId(event, 'id');
          const deployment = await deps.deployments.get(id);
          if (deployment) assertMayRead(scope, `Deployment ${id}`, readersOf(deployment));
          return json(200, deploymentExecutionSchema.parse(await describeDeploymentExecution(deps, id)));
        }
        case 'GET /v1/approvals': {
          const query = approvalsQuerySchema.parse(event.queryStringParameters ?? {});
          const voter = { ...person, name: caller.name, teams, githubClaim: caller.github };
          // Pending approvals are the ones this caller can still decide.
          const listed = (approval: Approval) =>
            query.status === 'PENDING'
              ? mayVote(approval, voter) && !approval.votes.some((vote) => vote.voter === caller.id)
              : mayRead(scope, readersOfApproval(approval));
          return json(
            200,
            await sealedPage(
              deps.cursorKey,
              event.routeKey,
              query,
              (next) => deps.approvals.listByStatus(query.status, next),
              listed,
            ),
          );
        }
        case 'GET /v1/approvals/{id}': {
          const id = pathId(event, 'id');
          const approval = await deps.approvals.get(id);
          if (!approval) throw new NotFoundError(`Approval ${id} does not exist`);
          assertMayRead(scope, `Approval ${id}`, readersOfApproval(approval));
          return json(200, { ...approval, events: await deps.approvals.events(id) });
        }
        case 'POST /v1/approvals/{id}/votes': {
          const id = pathId(event, 'id');
          const body = voteBodySchema.parse(parseJson(rawBody(event)));
          const approval = await deps.approvals.get(id);
          if (!approval) throw new NotFoundError(`Approval ${id} does not exist`);
          // Somebody outside its readers is refused as a read is: no refused vote in the team's
          // trail, no requester in the answer.
          assertMayRead(scope, `Approval ${id}`, readersOfApproval(approval));
          const outcome = await voteOnApproval(deps, {
            approvalId: id,
            voter: { ...person, teams },
            githubClaim: caller.github,
            decision: body.decision,
            comment: body.comment,
            via: 'portal',
          });
          if (outcome.kind === 'refused') {
            throw outcome.code === 'self-approval' || outcome.code === 'not-allowed'
              ? new ForbiddenError(outcome.reason)
              : new ConflictError(outcome.reason);
          }
          return json(200, outcome.approval);
        }
        default:
          throw new NotFoundError(`No route ${event.routeKey}`);
      }
    }),
});
