import type { FunctionDeclaration, LambdaHandler, PortName, PortUse, PortsOf } from '../../declaration.js';
import type { Dependencies } from '../../ports/index.js';

/** The AWS adapter behind each of some ports, each reading only its own variables, as the declaration's `use` narrows it. */
export type PortFactories<P extends PortName> = { [Port in P]: (use: PortUse) => Dependencies[Port] };

/** The AWS adapters of exactly the declared ports. */
export function composeWith<P extends PortName>(
  factories: PortFactories<P>,
  ports: readonly P[],
  use: PortUse = {},
): PortsOf<P> {
  return Object.fromEntries(ports.map((port) => [port, factories[port](use)])) as PortsOf<P>;
}

/**
 * The Lambda composition root of one declared function, given the adapters of its declared ports
 * (and no others, so its bundle holds no other client): the ports are built once per container, on
 * the first invocation, so importing the entry creates no client.
 */
export function onAws<P extends PortName>(
  declaration: FunctionDeclaration<P>,
  factories: PortFactories<P>,
): LambdaHandler {
  let handler: LambdaHandler | undefined;
  return (event, context) => {
    handler ??= declaration.createHandler(composeWith(factories, declaration.ports, declaration.use));
    return handler(event, context);
  };
}
