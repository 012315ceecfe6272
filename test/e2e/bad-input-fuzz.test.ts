import { createHmac } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_DEFAULTS } from '../../functions/config.js';
import { localClient } from '../../infra/local/dynamodb-local.js';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../infra/local/local-issuer.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import { signedBlockAction } from '../../infra/local/slack-payloads.js';
import { ROUTES } from '../../infra/system.js';
import { startTestRuntime } from '../support/local-runtime.js';

let runtime: LocalRuntime;
let stop: () => Promise<void>;
let validToken: string;

/** Every item in both tables: a refused request must not change this. */
async function itemCount(): Promise<number> {
  const client = localClient(runtime.dynamoDbEndpoint);
  let total = 0;
  for (const table of [LOCAL_DEFAULTS.tableName, LOCAL_DEFAULTS.idempotencyTableName]) {
    const result = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true }));
    total += result.Count ?? 0;
  }
  client.destroy();
  return total;
}

const concretePath = (path: string, id: string) => path.replace(/\{\w+\}/gu, encodeURIComponent(id) || 'x');

const deepJson = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const body = fc.oneof(
  fc.string(),
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.integer({ min: 100, max: 5000 }).map(deepJson),
  fc.constantFrom('', '{}', '[]', 'null', '"\u0000"', '{"action":"labeled"}', 'payload=%7B%7D', '\uFFFF\uD800'),
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
    ),
    'x-hub-signature-256': fc.oneof(
      fc.constant('sha256=0000'),
      fc.stringMatching(/^[0-9a-f]{64}$/u).map((hex) => `sha256=${hex}`),
      fc.string(),
    ),
    'x-github-event': fc.constantFrom('pull_request', 'release', 'ping', 'push', ''),
    'x-github-delivery': fc.uuid(),
    'x-slack-request-timestamp': fc.oneof(fc.constant(String(Math.floor(Date.now() / 1000))), fc.string()),
    'x-slack-signature': fc.oneof(fc.constant('v0=00'), fc.string()),
    authorization: fc.oneof(
      fc.constant('Bearer local-argocd-token-wrong'),
      fc.string().map((text) => `Bearer ${text}`),
    ),
  },
  { requiredKeys: [] },
);

beforeAll(async () => {
  ({ runtime, stop } = await startTestRuntime());
  validToken = await runtime.issuer.sign({ sub: 'erin' });
});

afterAll(async () => {
  await stop();
});

const sanitize = (value: Record<string, string>) =>
  Object.fromEntries(Object.entries(value).filter(([, text]) => /^[\t\x20-\x7e]*$/u.test(text)));

describe('every public route under random and hostile input', () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s never answers 5xx and never writes',
    async (_name, route) => {
      const before = await itemCount();
      await fc.assert(
        fc.asyncProperty(body, headers, fc.string({ maxLength: 40 }), async (payload, randomHeaders, id) => {
          const withAuth =
            route.auth === 'jwt' && id.length % 2 === 0
              ? { ...randomHeaders, authorization: `Bearer ${validToken}` }
              : randomHeaders;
          const response = await fetch(`${runtime.url}${concretePath(route.path, id)}`, {
            method: route.method,
            headers: sanitize(withAuth),
            ...(route.method === 'GET' ? {} : { body: payload }),
          });
          expect(response.status, `${route.method} ${route.path} with ${payload.slice(0, 80)}`).toBeLessThan(500);
          await response.arrayBuffer();
        }),
        { numRuns: 40 },
      );
      await runtime.bus.idle();
      expect(await itemCount()).toBe(before);
    },
  );

  it('answers 400 validation, not 500, to a path parameter that is not valid percent-encoding', async () => {
    const withParameters = ROUTES.filter((route) => route.path.includes('{'));
    expect(withParameters.length).toBeGreaterThan(5);
    for (const route of withParameters) {
      const response = await fetch(`${runtime.url}${route.path.replace(/\{\w+\}/gu, '%E0%A4%A')}`, {
        method: route.method,
        headers: { authorization: `Bearer ${validToken}`, 'content-type': 'application/json' },
        ...(route.method === 'GET' ? {} : { body: '{}' }),
      });
      expect(response.status, `${route.method} ${route.path}`).toBe(400);
      expect(((await response.json()) as { type: string }).type).toBe('https://flightplan.dev/problems/validation');
    }
  });

  it('never answers 5xx nor writes for correctly signed but random GitHub, Slack and Argo CD payloads', async () => {
    const before = await itemCount();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc.string(),
        ),
        fc.constantFrom('pull_request', 'release', 'ping'),
        async (payload, eventName) => {
          const github = await fetch(`${runtime.url}/webhooks/github`, {
            method: 'POST',
            headers: {
              'x-github-event': eventName,
              'x-github-delivery': crypto.randomUUID(),
              'x-hub-signature-256': `sha256=${createHmac('sha256', 'local-github-secret').update(payload).digest('hex')}`,
            },
            body: payload,
          });
          // An empty body carries nothing to verify, so it may be refused as unauthenticated.
          expect(payload === '' ? [400, 401] : [202, 400]).toContain(github.status);
          const argo = await fetch(`${runtime.url}/webhooks/argocd`, {
            method: 'POST',
            headers: { authorization: 'Bearer local-argocd-token' },
            body: payload,
          });
          expect([202, 400]).toContain(argo.status);
          const form = new URLSearchParams({ payload }).toString();
          const timestamp = String(Math.floor(Date.now() / 1000));
          const slack = await fetch(`${runtime.url}/slack/interactions`, {
            method: 'POST',
            headers: {
              'x-slack-request-timestamp': timestamp,
              'x-slack-signature': `v0=${createHmac('sha256', 'local-slack-secret').update(`v0:${timestamp}:${form}`).digest('hex')}`,
            },
            body: form,
          });
          expect([200, 400]).toContain(slack.status);
        },
      ),
      { numRuns: 60 },
    );
    await runtime.bus.idle();
    expect(await itemCount()).toBe(before);
  });

  it('refuses expired tokens, tokens signed by another key and tokens for another audience', async () => {
    const expired = await runtime.issuer.sign({ sub: 'bob' }, '-1h');
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('bob')
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setExpirationTime('1h')
      .sign(privateKey);
    for (const token of [expired, foreign]) {
      expect(
        (await fetch(`${runtime.url}/v1/deployments`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(401);
    }
  });

  it('answers 413 to a body over 1 MiB on every webhook, and 413 over the gateway limit', async () => {
    for (const path of ['/webhooks/github', '/webhooks/argocd', '/slack/interactions']) {
      expect(
        (await fetch(`${runtime.url}${path}`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 10) })).status,
      ).toBe(413);
    }
    expect(
      (await fetch(`${runtime.url}/webhooks/github`, { method: 'POST', body: 'x'.repeat(11 * 1024 * 1024) })).status,
    ).toBe(413);
  });

  it('refuses a replayed Slack request even with a valid signature', async () => {
    const replay = signedBlockAction({
      signingSecret: 'local-slack-secret',
      slackUserId: 'UBOB',
      actionId: 'approve',
      approvalId: 'x',
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect(
      (await fetch(`${runtime.url}/slack/interactions`, { method: 'POST', headers: replay.headers, body: replay.body }))
        .status,
    ).toBe(401);
  });
});
