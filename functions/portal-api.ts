import { z } from 'zod';
import { awsMetrics, awsApprovalStore, awsBus, awsCatalogStore, awsChat, awsClock, awsDeploymentStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import { approvalStatusSchema, mayVote } from './domain/approval.js';
import { environmentSchema } from './domain/catalog.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError } from './errors.js';
import { header, httpHandler, json, parseJson, rawBody, type HttpEvent } from './http/http-handler.js';
import type { Dependencies } from './ports/index.js';
import { onAws } from './runtime.js';
import { abortDeployment } from './use-cases/abort-deployment.js';
import { voteOnApproval } from './use-cases/approvals.js';
import { teamsOf, type Caller } from './use-cases/callers.js';
import { describeDeployment, listDeployments } from './use-cases/query-deployments.js';
import { deploymentRequestSchema, requestDeployment } from './use-cases/request-deployment.js';

const approvalsQuerySchema = z.object({
  status: approvalStatusSchema.default('PENDING'),
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

const voteBodySchema = z.object({ decision: z.enum(['APPROVE', 'REJECT']), comment: z.string().max(1000).optional() });

const listQuerySchema = z.object({
  service: z.string().min(1).optional(),
  environment: environmentSchema.optional(),
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

/** On AWS the API Gateway JWT authorizer has verified the token; locally the server has. */
export function callerOf(event: HttpEvent): Caller {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const login = claims?.['preferred_username'] ?? claims?.['sub'];
  if (typeof login !== 'string' || login === '') throw new UnauthorizedError('A bearer token with a subject is required');
  const groups = claims?.['groups'];
  return { login, groups: Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? groups.split(/[\s,]+/u).filter(Boolean) : [] };
}

/** The portal API (/v1): one function, routed by API Gateway's route key. */
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'bus' | 'waits' | 'workflows' | 'clock' | 'approvals' | 'chat' | 'metrics'>) =>
  httpHandler(async (event) => {
    const caller = callerOf(event);
    switch (event.routeKey) {
      case 'POST /v1/deployments': {
        const body = deploymentRequestSchema.parse(parseJson(rawBody(event)));
        const { deploymentId } = await requestDeployment(deps, caller, body, header(event, 'idempotency-key'));
        return { ...json(202, { deploymentId, status: 'QUEUED', href: `/v1/deployments/${deploymentId}` }), headers: { 'content-type': 'application/json', location: `/v1/deployments/${deploymentId}` } };
      }
      case 'POST /v1/deployments/{id}/abort': {
        const deployment = await abortDeployment(deps, caller, z.string().min(1).parse(event.pathParameters?.['id']));
        return json(202, { deploymentId: deployment.id, status: deployment.status, abortRequestedBy: deployment.abortRequestedBy });
      }
      case 'GET /v1/deployments': {
        const query = listQuerySchema.parse(event.queryStringParameters ?? {});
        return json(200, await listDeployments(deps, query));
      }
      case 'GET /v1/deployments/{id}':
        return json(200, await describeDeployment(deps, z.string().min(1).parse(event.pathParameters?.['id'])));
      case 'GET /v1/approvals': {
        const query = approvalsQuerySchema.parse(event.queryStringParameters ?? {});
        const page = await deps.approvals.listByStatus(query.status, { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
        const voter = { login: caller.login, teams: await teamsOf(deps, caller) };
        // Pending approvals are the ones this caller can still decide.
        const items = query.status === 'PENDING' ? page.items.filter((approval) => mayVote(approval, voter) && !approval.votes.some((vote) => vote.voter === caller.login)) : page.items;
        return json(200, { items, nextCursor: page.nextCursor });
      }
      case 'GET /v1/approvals/{id}': {
        const id = z.string().min(1).parse(event.pathParameters?.['id']);
        const approval = await deps.approvals.get(id);
        if (!approval) throw new NotFoundError(`Approval ${id} does not exist`);
        return json(200, { ...approval, events: await deps.approvals.events(id) });
      }
      case 'POST /v1/approvals/{id}/votes': {
        const id = z.string().min(1).parse(event.pathParameters?.['id']);
        const body = voteBodySchema.parse(parseJson(rawBody(event)));
        if (!(await deps.approvals.get(id))) throw new NotFoundError(`Approval ${id} does not exist`);
        const outcome = await voteOnApproval(deps, { approvalId: id, voter: { login: caller.login, slackUserId: '', teams: await teamsOf(deps, caller) }, decision: body.decision, comment: body.comment, via: 'portal' });
        if (outcome.kind === 'refused') {
          throw outcome.code === 'self-approval' || outcome.code === 'not-allowed' ? new ForbiddenError(outcome.reason) : new ConflictError(outcome.reason);
        }
        return json(200, outcome.approval);
      }
      default:
        throw new NotFoundError(`No route ${event.routeKey}`);
    }
  });

export const handler = onAws(() =>
  createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), bus: awsBus(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock, approvals: awsApprovalStore(), chat: awsChat(), metrics: awsMetrics() }),
);
