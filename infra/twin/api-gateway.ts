import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import { resourcesOfType, type StackResolver } from './assembly.js';
import type { LambdaService } from './lambda.js';

/** API Gateway HTTP APIs refuse larger payloads before any function runs. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The most an HTTP API waits for a Lambda integration. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export interface JwtAuthorizerConfig {
  id: string;
  issuer: string;
  audience: string[];
}

export interface TwinRoute {
  routeKey: string;
  method: string;
  path: string;
  authorization: 'NONE' | 'JWT';
  authorizer?: JwtAuthorizerConfig;
  scopes: string[];
  functionArn: string;
  payloadFormatVersion: string;
  /** What the stage applies to the route: rate (requests/s) and burst. */
  throttling: { rateLimit?: number; burstLimit?: number };
  matcher: RegExp;
  parameters: string[];
}

interface ApiPermission {
  functionName: string;
  sourceArn?: string;
}

/** Verifies a bearer token for an authorizer's issuer; the twin plays that issuer. */
export type JwtVerifier = (token: string, authorizer: JwtAuthorizerConfig) => Promise<JWTPayload>;

/** API Gateway's claims: every value a string, arrays as `[a b]`, objects as JSON. */
export function gatewayClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [
      name,
      Array.isArray(value)
        ? `[${value.map(String).join(' ')}]`
        : typeof value === 'object' && value !== null
          ? JSON.stringify(value)
          : String(value),
    ]),
  );
}

/**
 * The HTTP API from its template: routes, Lambda proxy integrations (payload format 2.0), the
 * JWT authorizer with the template's issuer and audience, and the stage's throttling settings.
 */
export class TwinApiGateway {
  readonly routes: TwinRoute[] = [];
  private readonly permissions: ApiPermission[] = [];
  private readonly executeApiArn: string;

  constructor(
    resolver: StackResolver,
    private readonly lambda: LambdaService,
    private readonly verify: JwtVerifier,
    private readonly log: (line: string) => void,
  ) {
    const { stack } = resolver;
    const [apiId] = resourcesOfType(stack, 'AWS::ApiGatewayV2::Api').map(([logicalId]) => resolver.ref(logicalId));
    this.executeApiArn = `arn:aws:execute-api:${stack.region}:${stack.account}:${apiId ?? ''}`;
    const authorizers = new Map<string, JwtAuthorizerConfig>();
    for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::ApiGatewayV2::Authorizer')) {
      const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as {
        AuthorizerType?: string;
        JwtConfiguration?: { Issuer?: string; Audience?: string[] };
      };
      if (properties.AuthorizerType !== 'JWT') continue;
      authorizers.set(resolver.ref(logicalId), {
        id: logicalId,
        issuer: properties.JwtConfiguration?.Issuer ?? '',
        audience: properties.JwtConfiguration?.Audience ?? [],
      });
    }
    const integrations = new Map<string, { uri: string; version: string }>();
    for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::ApiGatewayV2::Integration')) {
      const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as {
        IntegrationUri?: string;
        PayloadFormatVersion?: string;
      };
      integrations.set(resolver.ref(logicalId), {
        uri: properties.IntegrationUri ?? '',
        version: properties.PayloadFormatVersion ?? '2.0',
      });
    }
    const stageDefaults: Record<string, { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number }> = {};
    const routeSettings: Record<string, { ThrottlingRateLimit?: number; ThrottlingBurstLimit?: number }> = {};
    for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::ApiGatewayV2::Stage')) {
      const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as {
        DefaultRouteSettings?: object;
        RouteSettings?: Record<string, object>;
      };
      Object.assign(stageDefaults, properties.DefaultRouteSettings ?? {});
      Object.assign(routeSettings, properties.RouteSettings ?? {});
    }
    for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::ApiGatewayV2::Route')) {
      const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as {
        RouteKey: string;
        AuthorizationType?: string;
        AuthorizerId?: string;
        AuthorizationScopes?: string[];
        Target?: string;
      };
      const [method = 'ANY', path = '/'] = properties.RouteKey.split(' ');
      const integration = integrations.get((properties.Target ?? '').replace(/^integrations\//u, ''));
      if (!integration) throw new Error(`${logicalId}: route ${properties.RouteKey} has no integration the twin knows`);
      const parameters: string[] = [];
      const source = path.replace(/\{(\w+)\+?\}/gu, (_match, name: string) => {
        parameters.push(name);
        return '([^/]+)';
      });
      const settings = { ...stageDefaults, ...(routeSettings[properties.RouteKey] ?? {}) };
      const authorizer = properties.AuthorizerId ? authorizers.get(properties.AuthorizerId) : undefined;
      this.routes.push({
        routeKey: properties.RouteKey,
        method,
        path,
        authorization: properties.AuthorizationType === 'JWT' ? 'JWT' : 'NONE',
        ...(authorizer ? { authorizer } : {}),
        scopes: properties.AuthorizationScopes ?? [],
        functionArn: integration.uri,
        payloadFormatVersion: integration.version,
        throttling: {
          ...(settings.ThrottlingRateLimit === undefined ? {} : { rateLimit: settings.ThrottlingRateLimit }),
          ...(settings.ThrottlingBurstLimit === undefined ? {} : { burstLimit: settings.ThrottlingBurstLimit }),
        },
        matcher: new RegExp(`^${source}$`, 'u'),
        parameters,
      });
    }
    for (const [logicalId, resource] of resourcesOfType(stack, 'AWS::Lambda::Permission')) {
      const properties = resolver.resolve(resource.Properties ?? {}, logicalId) as Record<string, unknown>;
      if (properties['Principal'] !== 'apigateway.amazonaws.com') continue;
      this.permissions.push({
        functionName: String(properties['FunctionName']),
        ...(typeof properties['SourceArn'] === 'string' ? { sourceArn: properties['SourceArn'] } : {}),
      });
    }
  }

  /** Serves the request if a route matches its path; answers false otherwise, so the caller can try its own routes. */
  async serve(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const route = this.routes.find(
      (candidate) =>
        (candidate.method === method || candidate.method === 'ANY') && candidate.matcher.test(url.pathname),
    );
    if (!route) return false;
    const body = await readBody(request);
    if (body === undefined) return send(response, 413, { message: 'Request Entity Too Large' });
    let claims: Record<string, string> | undefined;
    if (route.authorization === 'JWT') {
      const header = request.headers.authorization ?? '';
      const token = /^Bearer\s+(.+)$/iu.exec(header)?.[1];
      if (!token || !route.authorizer)
        return send(response, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer' });
      try {
        const payload = await this.verify(token, route.authorizer);
        if (payload.iss !== route.authorizer.issuer)
          throw new Error(`issuer ${String(payload.iss)} is not ${route.authorizer.issuer}`);
        const audiences = [payload.aud ?? []].flat();
        if (
          route.authorizer.audience.length > 0 &&
          !audiences.some((audience) => route.authorizer?.audience.includes(audience))
        )
          throw new Error('audience mismatch');
        claims = gatewayClaims(payload);
      } catch (error) {
        this.log(`apigateway: ${route.routeKey}: JWT refused: ${(error as Error).message}`);
        return send(response, 401, { message: 'Unauthorized' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
    }
    if (!this.mayInvoke(route)) {
      this.log(
        `iam: DENIED apigateway.amazonaws.com lambda:InvokeFunction on ${route.functionArn} for ${route.routeKey}: no AWS::Lambda::Permission lets this API invoke it`,
      );
      return send(response, 500, { message: 'Internal Server Error' });
    }
    const event = toEvent(request, url, route, body, claims);
    const result = await Promise.race([
      this.lambda.invoke(route.functionArn, event),
      new Promise<'timeout'>((resolve) =>
        setTimeout(() => {
          resolve('timeout');
        }, INTEGRATION_TIMEOUT_MS).unref(),
      ),
    ]);
    if (result === 'timeout') return send(response, 503, { message: 'Service Unavailable' });
    if (!result.ok) return send(response, 500, { message: 'Internal Server Error' });
    writeLambdaResult(response, result.payload);
    return true;
  }

  private mayInvoke(route: TwinRoute): boolean {
    const fn = this.lambda.find(route.functionArn);
    if (!fn) return false;
    // API Gateway names the route's path template in the source ARN, not the request's path.
    const requestArn = `${this.executeApiArn}/$default/${route.method}${route.path}`;
    return this.permissions.some(
      (permission) =>
        (permission.functionName === fn.arn || permission.functionName === fn.name) &&
        (!permission.sourceArn || globMatches(permission.sourceArn, requestArn)),
    );
  }
}

const globMatches = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/gu, '\\$&'))
      .join('.*')}$`,
    'u',
  ).test(value);

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= GATEWAY_MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(size > GATEWAY_MAX_BODY_BYTES ? undefined : Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'apigw-requestid': randomUUID(),
    ...headers,
  });
  response.end(text);
  return true;
}

/** The payload format 2.0 event, as API Gateway builds it. */
function toEvent(
  request: IncomingMessage,
  url: URL,
  route: TwinRoute,
  body: Buffer,
  claims: Record<string, string> | undefined,
): object {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...[value].flat().flatMap((cookie) => cookie.split(/;\s*/u)));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name] ?? ''},${value}` : value;
  const match = route.matcher.exec(url.pathname);
  const pathParameters = Object.fromEntries(
    route.parameters.map((name, index) => [name, decodeURIComponent(match?.[index + 1] ?? '')]),
  );
  const contentType = headers['content-type'] ?? '';
  const textual =
    body.length === 0 ||
    /^(text\/|application\/(json|xml|javascript|.*\+json))/iu.test(contentType) ||
    contentType === '';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(route.parameters.length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: route.functionArn.split(':')[4] ?? '',
      apiId: 'twin',
      domainName: headers['host'] ?? '127.0.0.1',
      domainPrefix: (headers['host'] ?? '127').split('.')[0],
      http: {
        method: route.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !textual && body.length > 0,
  };
}

/** Payload format 2.0 responses: a `statusCode` object, or anything else as a 200 JSON body. */
function writeLambdaResult(response: ServerResponse, payload: unknown): void {
  const structured = typeof payload === 'object' && payload !== null && 'statusCode' in payload;
  const result = (
    structured
      ? payload
      : {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: typeof payload === 'string' ? payload : JSON.stringify(payload),
        }
  ) as {
    statusCode: number;
    headers?: Record<string, unknown>;
    cookies?: string[];
    body?: string;
    isBase64Encoded?: boolean;
  };
  const body = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64')
    : Buffer.from(result.body ?? '', 'utf8');
  const headers: Record<string, string | string[]> = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
  );
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  headers['content-length'] = String(body.length);
  response.writeHead(result.statusCode, headers);
  response.end(body);
}
