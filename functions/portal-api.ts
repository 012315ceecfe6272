import { z } from 'zod';
import { awsDeploymentStore } from './adapters/aws/factories.js';
import { environmentSchema } from './domain/catalog.js';
import { NotFoundError, UnauthorizedError } from './errors.js';
import { httpHandler, json, type HttpEvent } from './http/http-handler.js';
import type { Dependencies } from './ports/index.js';
import { onAws } from './runtime.js';
import { describeDeployment, listDeployments } from './use-cases/query-deployments.js';

const listQuerySchema = z.object({
  service: z.string().min(1).optional(),
  environment: environmentSchema.optional(),
  cursor: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export interface Caller {
  login: string;
  groups: string[];
}

/** On AWS the API Gateway JWT authorizer has verified the token; locally the server has. */
export function callerOf(event: HttpEvent): Caller {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const login = claims?.['preferred_username'] ?? claims?.['sub'];
  if (typeof login !== 'string' || login === '') throw new UnauthorizedError('A bearer token with a subject is required');
  const groups = claims?.['groups'];
  return { login, groups: Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? groups.split(/[\s,]+/u).filter(Boolean) : [] };
}

/** The portal API (/v1): one function, routed by API Gateway's route key. */
export const createHandler = (deps: Pick<Dependencies, 'deployments'>) =>
  httpHandler(async (event) => {
    callerOf(event);
    switch (event.routeKey) {
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

export const handler = onAws(() => createHandler({ deployments: awsDeploymentStore() }));
