import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import type { z } from './zod.js';
import { busEventSchema, type BusEvent, type EventType } from '../events/envelope.js';
import { DeclaredEventPublisher } from './adapters/declared-event-publisher.js';
import { logger, type HttpHandler } from './http/http-handler.js';
import type { CodeHostUse } from './github-token-scopes.js';
import type { Dependencies, StateMachineName } from './ports/index.js';

export type PortName = keyof Dependencies;
/** Exactly the declared ports: a use case that reaches for another one does not compile. */
export type PortsOf<P extends PortName> = Pick<Dependencies, P>;
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** What a function may do with its ports beyond the defaults its grants give. */
export interface PortUse {
  /** The stores are only read: the table grant is read-only. */
  readsOnly?: true;
  /**
   * With the `workflows` port: the state machines it starts, those whose tasks it signals or
   * stops, those whose executions it asks about (`describes`: DescribeExecution) and those whose
   * executions and history it shows (`reads`).
   */
  workflows?: {
    starts?: readonly StateMachineName[];
    signals?: readonly StateMachineName[];
    describes?: readonly StateMachineName[];
    reads?: readonly StateMachineName[];
  };
  /**
   * With the `bus` port (required there): every event it publishes, by source and detail-type.
   * IAM lets the function publish only these, and the port refuses anything else, locally too.
   */
  publishes?: readonly EventType[];
  /**
   * With the `codeHost` port (required there): what it does with repositories, which sets the
   * repositories and permissions of its GitHub token (functions/github-token-scopes.ts).
   */
  codeHost?: CodeHostUse;
}

/**
 * A function, declared once. Its dependency type, its AWS composition, its IAM grants and
 * environment (`infra/aws/port-grants.ts`) and what the local runtime hands it are all derived
 * from `ports`, so they cannot drift apart.
 */
export interface FunctionDeclaration<P extends PortName = PortName> {
  readonly description: string;
  readonly ports: readonly P[];
  readonly use: PortUse;
  readonly createHandler: (deps: PortsOf<P>) => LambdaHandler;
}

/**
 * The declared ports must be exactly what the use case takes: one more is a grant nobody uses,
 * one fewer is a port the function would lack on AWS. Either way the declaration does not compile.
 */
type ExactPorts<P extends PortName, Deps> = [Exclude<keyof Deps, P>] extends [never]
  ? [Exclude<P, keyof Deps>] extends [never]
    ? PortsOf<P> extends Deps
      ? unknown
      : { portTypesDoNotMatchTheUseCase: Deps }
    : { portsTheUseCaseDoesNotTake: Exclude<P, keyof Deps> }
  : { portsTheUseCaseNeedsButAreNotDeclared: Exclude<keyof Deps, P> };

/**
 * A function with the `bus` port must say what it publishes (its grant is conditioned on that
 * list), and one with `codeHost` what it does with repositories (its GitHub token's scope).
 */
type Declared<P extends PortName> = {
  description: string;
  ports: readonly P[];
  use?: PortUse;
} & ('bus' extends P ? { use: { publishes: readonly [EventType, ...EventType[]] } } : unknown) &
  ('codeHost' extends P ? { use: { codeHost: CodeHostUse } } : unknown);

/** The ports a handler gets: the `bus` port only publishes what the declaration lists. */
function restricted<P extends PortName>(deps: PortsOf<P>, declared: Declared<P>): PortsOf<P> {
  if (!('bus' in deps)) return deps;
  const { bus } = deps as PortsOf<'bus'>;
  return {
    ...deps,
    bus: new DeclaredEventPublisher(bus, declared.use?.publishes ?? [], declared.description),
  };
}

/**
 * A Step Functions task: input validated by its schema, then one use case. Errors keep their
 * literal names (functions/errors.ts), which is what the workflow's Retry and Catch match on.
 */
export function workflowTask<const P extends PortName, Deps, Input, Output>(
  declared: Declared<P> & {
    input: z.ZodMiniType<Input>;
    useCase: (deps: Deps, input: Input) => Promise<Output>;
  } & ExactPorts<P, Deps>,
): FunctionDeclaration<P> & { useCase: (deps: Deps, input: Input) => Promise<Output> } {
  return {
    description: declared.description,
    ports: declared.ports,
    use: declared.use ?? {},
    useCase: declared.useCase,
    // ExactPorts has checked that the declared ports are the use case's dependencies.
    createHandler: (deps) => {
      const ports = restricted(deps, declared) as Deps;
      return taskHandler(declared.input, (input) => declared.useCase(ports, input));
    },
  };
}

/** An EventBridge rule target: validates the envelope and the detail against the event's schema. */
export function busTarget<const P extends PortName, Deps, Detail>(
  declared: Declared<P> & {
    detail: (detail: unknown, event: BusEvent) => Detail;
    useCase: (deps: Deps, detail: Detail, event: BusEvent) => Promise<unknown>;
  } & ExactPorts<P, Deps>,
): FunctionDeclaration<P> {
  return {
    description: declared.description,
    ports: declared.ports,
    use: declared.use ?? {},
    createHandler: (deps) => {
      const ports = restricted(deps, declared) as Deps;
      return busEventHandler(declared.detail, (detail, event) => declared.useCase(ports, detail, event));
    },
  };
}

/** An API Gateway route's function; `createHandler` builds it on `httpHandler` (functions/http). */
export function httpFunction<const P extends PortName>(
  declared: Declared<P> & { createHandler: (deps: NoInfer<PortsOf<P>>) => HttpHandler },
): FunctionDeclaration<P> {
  return {
    description: declared.description,
    ports: declared.ports,
    use: declared.use ?? {},
    createHandler: (deps) => {
      const handle = declared.createHandler(restricted(deps, declared));
      return (event, context) => handle(event as Parameters<HttpHandler>[0], context);
    },
  };
}

function taskHandler<Input, Output>(
  inputSchema: z.ZodMiniType<Input>,
  handle: (input: Input) => Promise<Output>,
): LambdaHandler {
  const wrapped = middy<unknown, Output>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (raw) => handle(inputSchema.parse(raw)));
  return wrapped;
}

function busEventHandler<Detail>(
  parseDetail: (detail: unknown, event: BusEvent) => Detail,
  handle: (detail: Detail, event: BusEvent) => Promise<unknown>,
): LambdaHandler {
  const wrapped = middy<unknown, undefined>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (raw) => {
      const event = busEventSchema.parse(raw);
      const detail = parseDetail(event.detail, event);
      const meta = event.detail['meta'];
      const correlationId =
        typeof meta === 'object' && meta !== null && 'correlationId' in meta ? String(meta.correlationId) : event.id;
      logger.appendKeys({ eventId: event.id, detailType: event['detail-type'], correlationId });
      const result = await handle(detail, event);
      logger.info('Event handled', { result: result as Record<string, unknown> });
      return undefined;
    });
  return wrapped;
}

/** Only the declared ports, so an undeclared use fails locally as it would on AWS. */
export function declaredPortsOf<P extends PortName>(deps: Dependencies, ports: readonly P[]): PortsOf<P> {
  return Object.fromEntries(ports.map((port) => [port, deps[port]])) as PortsOf<P>;
}
