import { describe, expect, it } from 'vitest';
import { ForbiddenError, UnauthorizedError } from '../../functions/errors.js';
import type { HttpEvent } from '../../functions/http/http-handler.js';
import { callerOf } from '../../functions/ingress/portal-api.js';

const eventWith = (claims: Record<string, string | string[]>): HttpEvent =>
  ({ headers: {}, routeKey: 'GET /v1/deployments', requestContext: { requestId: 'r', authorizer: { jwt: { claims } } } }) as unknown as HttpEvent;

describe('portal callers', () => {
  it.each(['alice', 'carol.smith', 'erin@acme.example', 'dave-2'])('accepts the login %j', (login) => {
    expect(callerOf(eventWith({ sub: login })).login).toBe(login);
  });

  it.each(['alice\nresource "aws_iam_user" "backdoor" {}', 'alice bob', '"alice"', '', '-alice', 'a'.repeat(101), 'alice\u2028'])(
    'refuses the login %j at the edge',
    (login) => {
      expect(() => callerOf(eventWith({ preferred_username: login, sub: 'x' }))).toThrow(UnauthorizedError);
    },
  );

  it.each(['flightplan', 'github', 'GitHub'])('reserves the system actor name %j', (login) => {
    expect(() => callerOf(eventWith({ sub: login }))).toThrow(ForbiddenError);
  });
});
