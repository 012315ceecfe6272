import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../config.js';
import { PayloadTooLargeError, ValidationError } from '../errors.js';
import { problemFor, problemResponse } from './problem.js';

/**
 * API Gateway's payload 2.0. `headers` and `requestContext` are optional because a direct
 * invocation (the console's test event, a replay) may leave them out, and that must be refused as
 * a bad request, not thrown as a TypeError.
 */
export type HttpEvent = Omit<APIGatewayProxyEventV2, 'headers' | 'requestContext'> & {
  headers?: APIGatewayProxyEventV2['headers'];
  requestContext?: APIGatewayProxyEventV2['requestContext'] & {
    authorizer?: { jwt?: { claims: Record<string, string | number | boolean | string[]> } };
  };
};
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export const logger = new Logger({ serviceName: 'flightplan' });

/** The raw request body, exactly as signed by the sender. */
export function rawBody(event: HttpEvent): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new ValidationError('The body is not valid JSON', [{ path: '', message: (error as Error).message }], {
      cause: error,
    });
  }
}

export const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/**
 * The shared stack for every HTTP function: Lambda context in the logs, a body size limit checked
 * before anything reads the body, and every error mapped to problem+json. 5xx are logged with
 * their cause; 4xx are the caller's problem and logged at info.
 */
export function httpHandler(handle: HttpHandler): HttpHandler {
  const wrapped = middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event, context) => {
      try {
        logger.appendKeys({ correlationId: header(event, 'x-github-delivery') ?? event.requestContext?.requestId });
        if (Buffer.byteLength(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8') > MAX_BODY_BYTES) {
          throw new PayloadTooLargeError(`The body is larger than ${MAX_BODY_BYTES} bytes`);
        }
        return await handle(event, context);
      } catch (error) {
        const problem = problemFor(error);
        if (problem.status >= 500) logger.error('Request failed', { error: error as Error, routeKey: event.routeKey });
        else
          logger.info('Request refused', { status: problem.status, detail: problem.detail, routeKey: event.routeKey });
        return problemResponse(problem);
      }
    });
  return (event, context) => wrapped(event, context);
}
