import { JsonCodec2 } from '@aws-sdk/core/protocols';
import type { $Schema, $SchemaRef, StaticOperationSchema } from '@smithy/types';
import {
  jsonResponse,
  serveOnLoopback,
  type RunningService,
  type ServiceRequest,
  type ServiceResponse,
} from './http.js';

/** Who called, from the SigV4 `Authorization` header the SDK signs every request with. */
export interface AwsCaller {
  accessKeyId: string;
  region: string;
  /** The signing name: `secretsmanager`, `monitoring`, `ecr`. */
  service: string;
}

/** One SDK call as IAM sees it, for the twin's policy check. */
export interface AwsCall extends AwsCaller {
  /** `secretsmanager:GetSecretValue` */
  action: string;
  /** The resource ARNs the action is on (`*` when the action has no resource type). */
  resources: string[];
}

/** Answers `undefined` to allow the call, or the reason it is denied (returned as AccessDeniedException). */
export type AwsCallAuthorizer = (call: AwsCall) => Promise<string | undefined> | string | undefined;

/** An error the service answers with: its shape name (`ResourceNotFoundException`), and for awsQuery-compatible services its query code. */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly queryCode?: string,
  ) {
    super(message);
    this.name = 'AwsServiceError';
  }
}

export interface AwsOperation<Input, Output> {
  schema: StaticOperationSchema;
  /** The resources IAM evaluates the call against. */
  resources?: (input: Input, caller: AwsCaller) => string[];
  handle: (input: Input, caller: AwsCaller) => Promise<Output> | Output;
}

/** Keeps each operation's input and output types together while the table stays heterogeneous. */
export const operation = <Input, Output>(spec: AwsOperation<Input, Output>): AwsOperation<unknown, unknown> =>
  spec as AwsOperation<unknown, unknown>;

export interface AwsJsonServiceOptions {
  /** `secretsmanager`: the prefix of IAM actions. */
  iamPrefix: string;
  /** `secretsmanager`, `GraniteServiceVersion20100801`: the prefix of `X-Amz-Target`. */
  targetPrefix: string;
  /** Operations by name, each with the client's own operation schema. */
  operations: Record<string, AwsOperation<unknown, unknown>>;
  authorize?: AwsCallAuthorizer;
  onError?: (error: unknown) => void;
  port?: number;
}

const SIGV4_CREDENTIAL = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/u;

export function callerOf(request: Pick<ServiceRequest, 'headers'>): AwsCaller | undefined {
  const match = SIGV4_CREDENTIAL.exec(request.headers.authorization ?? '');
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { accessKeyId: match[1], region: match[2], service: match[3] };
}

/**
 * An AWS JSON 1.0 / 1.1 RPC endpoint (`POST /` with `X-Amz-Target: {prefix}.{Operation}`). Input
 * is read and output written with the SDK's own JSON codec and the client's operation schemas,
 * so timestamps, blobs and member names are exactly what the client sends and expects.
 */
export function serveAwsJson(options: AwsJsonServiceOptions): Promise<RunningService> {
  const codec = new JsonCodec2({ timestampFormat: { useTrait: true, default: 7 }, jsonName: false });
  return serveOnLoopback(
    async (request) => {
      try {
        return await dispatch(request, options, codec);
      } catch (error) {
        if (error instanceof AwsServiceError) return errorResponse(request, error);
        throw error;
      }
    },
    {
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.onError ? { onError: options.onError } : {}),
    },
  );
}

async function dispatch(
  request: ServiceRequest,
  options: AwsJsonServiceOptions,
  codec: JsonCodec2,
): Promise<ServiceResponse> {
  const target = request.headers['x-amz-target'];
  const name =
    typeof target === 'string' && target.startsWith(`${options.targetPrefix}.`)
      ? target.slice(options.targetPrefix.length + 1)
      : undefined;
  const spec = name === undefined ? undefined : options.operations[name];
  if (request.method !== 'POST' || !name || !spec)
    throw new AwsServiceError(
      'UnknownOperationException',
      `Unsupported operation ${String(target)}`,
      400,
      'UnknownOperation',
    );
  const caller = callerOf(request);
  if (!caller)
    throw new AwsServiceError(
      'MissingAuthenticationTokenException',
      'Request is missing a SigV4 Authorization header',
      403,
      'MissingAuthenticationToken',
    );
  const [, , , , inputRef, outputRef] = spec.schema;
  const inputSchema = resolveSchema(inputRef);
  const outputSchema = resolveSchema(outputRef);
  const input: unknown = await codec
    .createDeserializer()
    .read(inputSchema, request.body.length > 0 ? request.body.toString('utf8') : '{}');
  const action = `${options.iamPrefix}:${name}`;
  const resources = spec.resources?.(input, caller) ?? ['*'];
  const denied = await options.authorize?.({ ...caller, action, resources });
  if (denied !== undefined) throw new AwsServiceError('AccessDeniedException', denied, 400, 'AccessDenied');
  const output = await spec.handle(input, caller);
  const serializer = codec.createSerializer();
  serializer.write(outputSchema, output ?? {});
  const contentType =
    typeof request.headers['content-type'] === 'string'
      ? request.headers['content-type']
      : 'application/x-amz-json-1.1';
  return { status: 200, headers: { 'content-type': contentType }, body: serializer.flush() };
}

// Operation schemas refer to their shapes lazily, so that shapes can be defined in any order.
const resolveSchema = (ref: $SchemaRef): $Schema => (typeof ref === 'function' ? ref() : ref);

function errorResponse(request: ServiceRequest, error: AwsServiceError): ServiceResponse {
  const queryMode = request.headers['x-amzn-query-mode'] === 'true';
  return jsonResponse(
    error.status,
    { __type: error.type, message: error.message },
    {
      'x-amzn-errortype': error.type,
      ...(queryMode && error.queryCode
        ? { 'x-amzn-query-error': `${error.queryCode};${error.status >= 500 ? 'Receiver' : 'Sender'}` }
        : {}),
    },
  );
}
