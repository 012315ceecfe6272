import { randomUUID } from 'node:crypto';
import { lambdaContext } from './lambda-context.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult } from '../../functions/http/http-handler.js';
import { problemResponse } from '../../functions/http/problem.js';
import type { LocalIssuer } from './local-issuer.js';

/** API Gateway HTTP APIs refuse larger payloads before any function runs. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface LocalRoute {
  method: string;
  path: string;
  auth: 'jwt' | 'none';
  handle: (event: HttpEvent, context: Context) => Promise<HttpResult>;
}

interface CompiledRoute extends LocalRoute {
  matcher: RegExp;
  parameters: string[];
}

function compile(route: LocalRoute): CompiledRoute {
  const parameters: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/gu, (_match, name: string) => {
    parameters.push(name);
    return '([^/]+)';
  });
  return { ...route, matcher: new RegExp(`^${source}$`, 'u'), parameters };
}

const problem = (status: number, slug: string, title: string, detail: string): HttpResult =>
  problemResponse({ type: `https://flightplan.dev/problems/${slug}`, title, status, detail });

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
const hostnameOf = (host: string): string => host.replace(/:\d+$/u, '').toLowerCase();

/**
 * Why a request to a local control route (`/local/...`) is refused, or undefined. They take no
 * token, so a web page must not reach them: a Host other than loopback is DNS rebinding, and an
 * Origin or Sec-Fetch-Site from elsewhere is another site's page posting to us.
 */
export function localControlRefusal(headers: IncomingMessage['headers']): string | undefined {
  const host = headers.host ?? '';
  if (!LOOPBACK_HOSTS.includes(hostnameOf(host))) return `Host ${host || '(none)'} is not 127.0.0.1 or localhost`;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `a ${site} request may not use the local controls`;
  const origin = headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin ${origin} is not this server`;
    }
    if (originHost.toLowerCase() !== host.toLowerCase()) return `Origin ${origin} is not this server`;
  }
  return undefined;
}

/**
 * API Gateway (HTTP API, payload format 2.0) on a laptop: the same routes, the JWT authorizer
 * played by the local issuer, and the request turned into the event a Lambda function receives.
 */
export function createLocalServer(options: {
  routes: LocalRoute[];
  issuer: LocalIssuer;
  onError: (error: unknown) => void;
}): Server {
  const routes = options.routes.map(compile);
  return createServer((request, response) => {
    void serve(request, response, routes, options).catch((error: unknown) => {
      options.onError(error);
      if (!response.headersSent)
        send(response, problem(500, 'internal', 'Internal error', 'The local runtime failed to serve the request'));
    });
  });
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  routes: CompiledRoute[],
  options: { issuer: LocalIssuer },
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const pathMatches = routes.flatMap((route) => {
    const match = route.matcher.exec(url.pathname);
    return match ? [{ route, match }] : [];
  });
  const found = pathMatches.find(({ route }) => route.method === method);
  const refusal = url.pathname.startsWith('/local/') ? localControlRefusal(request.headers) : undefined;
  if (refusal) {
    send(response, problem(403, 'forbidden', 'Not allowed', refusal));
    return;
  }
  if (!found) {
    send(
      response,
      pathMatches.length > 0
        ? problem(405, 'method-not-allowed', 'Method not allowed', `${method} is not allowed on ${url.pathname}`)
        : problem(404, 'not-found', 'Not found', `No route for ${method} ${url.pathname}`),
    );
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    send(
      response,
      problem(413, 'payload-too-large', 'Payload too large', `The body is larger than ${GATEWAY_MAX_BODY_BYTES} bytes`),
    );
    return;
  }
  let claims: Record<string, string | number | boolean | string[]> | undefined;
  if (found.route.auth === 'jwt') {
    const authorization = request.headers.authorization ?? '';
    try {
      if (!authorization.startsWith('Bearer ')) throw new Error('missing bearer token');
      claims = (await options.issuer.verify(authorization.slice('Bearer '.length))) as typeof claims;
    } catch {
      send(
        response,
        problem(
          401,
          'unauthorized',
          'Authentication failed',
          'A valid bearer token is required (npm run -s token -- --sub <user>)',
        ),
      );
      return;
    }
  }
  const pathParameters = decodedPathParameters(found.route, found.match);
  if (!pathParameters) {
    send(
      response,
      problem(400, 'validation', 'The request is not valid', `The path ${url.pathname} is not valid percent-encoding`),
    );
    return;
  }
  const event = toHttpEvent(request, url, found.route, pathParameters, body, claims);
  send(response, await found.route.handle(event, lambdaContext(`http ${found.route.path}`, 10_000)));
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(tooLarge ? undefined : Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/** The route's path parameters, decoded; undefined when one is not valid percent-encoding (`%E0%A4%A`). */
function decodedPathParameters(route: CompiledRoute, match: RegExpExecArray): Record<string, string> | undefined {
  try {
    return Object.fromEntries(
      route.parameters.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]),
    );
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}

function toHttpEvent(
  request: IncomingMessage,
  url: URL,
  route: CompiledRoute,
  pathParameters: Record<string, string>,
  body: Buffer,
  claims: Record<string, string | number | boolean | string[]> | undefined,
): HttpEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query = Object.fromEntries(url.searchParams.entries());
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(route.parameters.length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: route.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(claims ? { authorizer: { jwt: { claims } } } : {}),
    },
    body: body.toString('utf8'),
    isBase64Encoded: false,
  };
}

function send(response: ServerResponse, result: HttpResult): void {
  const body = result.body ?? '';
  response.writeHead(result.statusCode ?? 200, {
    ...Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)])),
    'content-length': Buffer.byteLength(body, result.isBase64Encoded ? 'base64' : 'utf8'),
  });
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}
