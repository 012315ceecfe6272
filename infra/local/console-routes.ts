import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import * as z from '../../functions/zod.js';
import type { HttpResult } from '../../functions/http/http-handler.js';
import { problemFor, problemResponse } from '../../functions/http/problem.js';
import { teamsFromGroupsClaim } from '../../functions/domain/identity.js';
import { DEMO_PEOPLE, demoEmailOf } from './demo-catalog.js';
import type { LocalRoute } from './http-server.js';
import type { LocalIssuer } from './local-issuer.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** The demo user the console opens as: bob can approve alice's releases of orders-api. */
export const CONSOLE_DEFAULT_USER = 'bob';

const tokenQuerySchema = z.strictObject({ sub: z.string().check(z.regex(/^[\w.@-]{1,64}$/u, 'a login')) });

/**
 * The web console on a laptop: its built files at /, a config that says "local", and a token for
 * whichever demo user the page switches to, so there is no login wall. None of this exists on
 * AWS, where CloudFront serves the files and Keycloak signs people in.
 */
export function consoleRoutes(options: { distDir: string; issuer: LocalIssuer }): LocalRoute[] {
  const file = async (name: string): Promise<HttpResult> => {
    try {
      const body = await readFile(join(options.distDir, name));
      const binary = name.endsWith('.png');
      return {
        statusCode: 200,
        headers: {
          'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream',
          'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
        },
        body: binary ? body.toString('base64') : body.toString('utf8'),
        isBase64Encoded: binary,
      };
    } catch {
      return name === 'index.html'
        ? {
            statusCode: 503,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
            body: 'The console is not built: run npm run build:console (npm ci does it).\n',
          }
        : problemResponse({
            type: 'https://flightplan.dev/problems/not-found',
            title: 'Not found',
            status: 404,
            detail: `No console file ${name}`,
          });
    }
  };
  const route = (path: string, handle: LocalRoute['handle']): LocalRoute => ({
    method: 'GET',
    path,
    auth: 'none',
    handle: async (event, context) => {
      try {
        return await handle(event, context);
      } catch (error) {
        return problemResponse(problemFor(error));
      }
    },
  });
  return [
    route('/', () => file('index.html')),
    route('/index.html', () => file('index.html')),
    // Vite names built files by content hash: one path segment, never a way out of the folder.
    route('/assets/{file}', (event) =>
      file(
        join(
          'assets',
          z
            .string()
            .check(z.regex(/^[\w.-]+$/u))
            .parse(event.pathParameters?.['file']),
        ),
      ),
    ),
    route('/console-config.json', () =>
      Promise.resolve({
        statusCode: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' },
        body: JSON.stringify({
          mode: 'local',
          apiUrl: '',
          defaultUser: CONSOLE_DEFAULT_USER,
          users: DEMO_PEOPLE.map((person) => ({
            login: person.name,
            teams: teamsFromGroupsClaim(person.groups) ?? [],
          })),
        }),
      }),
    ),
    route('/local/console/token', async (event) => {
      const { sub } = tokenQuerySchema.parse(event.queryStringParameters ?? {});
      // A demo person gets the token Keycloak would give them (as the demo seeding signs in); anybody else only a subject.
      const person = DEMO_PEOPLE.find((candidate) => candidate.name === sub);
      const token = await options.issuer.sign(
        person ? { sub, groups: person.groups, email: demoEmailOf(sub), githubLogin: sub } : { sub },
      );
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        body: JSON.stringify({ token }),
      };
    }),
  ];
}
