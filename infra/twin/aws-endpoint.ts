import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { IamPolicies } from './iam.js';

/** Who signed a request: the access key a function's environment carries maps back to its role. */
export interface Caller {
  accessKeyId: string;
  roleArn: string;
  /** The role session, as STS names it: the function name for Lambda. */
  sessionName: string;
  /** What the twin's log calls it: `Flightplan/portalApiDAC2DC16`. */
  label: string;
}

/** A service error in the AWS JSON protocols' shape: HTTP status, `__type`, `message`. */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * The twin's credentials: one access key per execution role session, so every endpoint knows
 * from the SigV4 `Authorization` header which role is calling, as AWS does.
 */
export class Principals {
  private readonly callers = new Map<string, Caller>();

  /** A deterministic, AWS-looking temporary access key for a role session. */
  register(caller: Omit<Caller, 'accessKeyId'>): Caller {
    const accessKeyId = `ASIA${createHash('sha256').update(`${caller.roleArn}/${caller.sessionName}`).digest('hex').slice(0, 16).toUpperCase()}`;
    const registered = { ...caller, accessKeyId };
    this.callers.set(accessKeyId, registered);
    return registered;
  }

  fromAccessKey(accessKeyId: string): Caller | undefined {
    return this.callers.get(accessKeyId);
  }

  fromRequest(request: IncomingMessage): Caller | undefined {
    const authorization = request.headers.authorization ?? '';
    const accessKeyId = /Credential=([^/,\s]+)\//u.exec(authorization)?.[1];
    return accessKeyId ? this.callers.get(accessKeyId) : undefined;
  }
}

export interface AuthorizeOptions {
  iam: IamPolicies;
  log: (line: string) => void;
}

/** Checks one action on one resource for the caller; a denial throws AccessDeniedException and says what is missing. */
export async function authorizeCall(
  options: AuthorizeOptions,
  caller: Caller,
  action: string,
  resource: string,
  context?: Record<string, string | string[]>,
): Promise<void> {
  const decision = await options.iam.authorize({
    roleArn: caller.roleArn,
    action,
    resource,
    ...(context ? { context } : {}),
  });
  if (decision.allowed) return;
  const roleName = caller.roleArn.split('/').at(-1) ?? caller.roleArn;
  const account = /::(\d{12}):/u.exec(caller.roleArn)?.[1] ?? '';
  options.log(
    `iam: DENIED ${caller.label} ${action} on ${resource}: ${decision.explanation}; the role ${roleName} is missing "${action}" on "${resource}"`,
  );
  throw new AwsServiceError(
    'AccessDeniedException',
    `User: arn:aws:sts::${account}:assumed-role/${roleName}/${caller.sessionName} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
  );
}

export interface JsonEndpointOptions {
  /** For the log: `stepfunctions`, `events`. */
  service: string;
  principals: Principals;
  /** `AWSStepFunctions` for `X-Amz-Target: AWSStepFunctions.StartExecution`. */
  targetPrefix: string;
  /** `application/x-amz-json-1.0` or `-1.1`. */
  contentType: string;
  operations: Record<string, (input: Record<string, unknown>, caller: Caller) => Promise<unknown>>;
  log: (line: string) => void;
}

export interface RunningEndpoint {
  url: string;
  stop(): Promise<void>;
}

/**
 * An endpoint for an AWS JSON protocol service (awsJson1_0 / awsJson1_1): the operation from
 * `X-Amz-Target`, the body as input, errors as `{__type, message}` with `x-amzn-errortype`,
 * which is what the SDK's own deserializers read. Unsigned or unknown callers are refused, as
 * AWS refuses unsigned requests.
 */
export function startJsonEndpoint(options: JsonEndpointOptions): Promise<RunningEndpoint> {
  return listen(async (request, response) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const [prefix, operation] = target.split('.');
    const body = await readBody(request);
    try {
      const caller = options.principals.fromRequest(request);
      if (!caller)
        throw new AwsServiceError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      const handle = prefix === options.targetPrefix && operation ? options.operations[operation] : undefined;
      if (!handle) throw new AwsServiceError('UnknownOperationException', `${target} is not emulated by the twin`);
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const output = await handle(input, caller);
      sendJson(response, 200, options.contentType, output ?? {});
    } catch (error) {
      const serviceError =
        error instanceof AwsServiceError
          ? error
          : new AwsServiceError('InternalFailure', (error as Error).message, 500);
      if (!(error instanceof AwsServiceError))
        options.log(`${options.service}: ${target} failed: ${(error as Error).stack ?? String(error)}`);
      response.setHeader('x-amzn-errortype', serviceError.type);
      sendJson(response, serviceError.status, options.contentType, {
        __type: serviceError.type,
        message: serviceError.message,
      });
    }
  });
}

export function sendJson(response: ServerResponse, status: number, contentType: string, value: unknown): void {
  const text = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': createHash('md5').update(`${Date.now()}${Math.random()}`).digest('hex'),
  });
  response.end(text);
}

export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

/** An HTTP server on 127.0.0.1 and a free port. */
export function listen(
  handler: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  port = 0,
): Promise<RunningEndpoint> {
  const server = createServer((request, response) => {
    void handler(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, 'application/json', { __type: 'InternalFailure', message: (error as Error).message });
      else response.destroy();
    });
  });
  // The SDK keeps connections alive; a stop should not wait for them.
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actualPort = address && typeof address === 'object' ? address.port : port;
      resolve({
        url: `http://127.0.0.1:${actualPort}`,
        stop: () =>
          new Promise<void>((resolveStop) => {
            server.closeAllConnections();
            server.close(() => {
              resolveStop();
            });
          }),
      });
    });
  });
}
