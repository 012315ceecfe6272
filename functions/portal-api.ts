import { z } from 'zod';
import { awsBus, awsCatalogStore, awsClock, awsDeploymentStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import { environmentSchema } from './domain/catalog.js';
import { NotFoundError, UnauthorizedError } from './errors.js';
import { header, httpHandler, json, parseJson, rawBody, type HttpEvent } from './http/http-handler.js';
import type { Dependencies } from './ports/index.js';
import { onAws } from './runtime.js';
import { abortDeployment } from './use-cases/abort-deployment.js';
import type { Caller } from './use-cases/callers.js';
import { describeDeployment, listDeployments } from './use-cases/query-deployments.js';
import { deploymentRequestSchema, requestDeployment } from './use-cases/request-deployment.js';

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
export const createHandler = (deps: Pick<Dependencies, 'deployments' | 'catalog' | 'bus' | 'waits' | 'workflows' | 'clock'>) =>
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
      default:
        throw new NotFoundError(`No route ${event.routeKey}`);
    }
  });

export const handler = onAws(() =>
  createHandler({ deployments: awsDeploymentStore(), catalog: awsCatalogStore(), bus: awsBus(), waits: awsWaitStore(), workflows: awsWorkflows(), clock: awsClock }),
);
