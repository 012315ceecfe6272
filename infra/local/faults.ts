import { ProvisionedThroughputExceededException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from '../../functions/zod.js';
import { FUNCTIONS, type FunctionId } from '../system.js';

/**
 * How an invocation can fail on AWS, as Step Functions sees it: the Lambda service throttles
 * (retried by the workflows' Retry), the function throws (caught, the deployment rolls back), or
 * it runs past its timeout (Lambda reports `Sandbox.Timedout`).
 */
export const functionFaultSchema = z.object({
  function: z.enum(Object.keys(FUNCTIONS) as [FunctionId, ...FunctionId[]]),
  kind: z.enum(['throttle', 'throw', 'timeout']),
  times: z._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 1),
});
export type FunctionFault = z.infer<typeof functionFaultSchema>;

export const dynamoDbFaultSchema = z.object({
  /** This many requests are throttled on their first attempt; the SDK's retries must absorb it. */
  requests: z.number().check(z.int(), z.gte(1), z.lte(10_000)),
});

class InjectedFaultError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Faults to inject into the local runtime, for the fault tests and for trying how Flightplan
 * behaves when AWS misbehaves (`POST /local/faults/functions`, `POST /local/faults/dynamodb`).
 */
export class LocalFaults {
  readonly injected = { functions: 0, dynamoDbThrottles: 0 };
  private readonly pending = new Map<FunctionId, FunctionFault['kind'][]>();
  private throttleBudget = 0;

  addFunctionFault(fault: FunctionFault): void {
    this.pending.set(fault.function, [
      ...(this.pending.get(fault.function) ?? []),
      ...Array<FunctionFault['kind']>(fault.times).fill(fault.kind),
    ]);
  }

  throttleDynamoDb(requests: number): void {
    this.throttleBudget += requests;
  }

  /** The error the next invocation of `id` fails with, if a fault is pending for it. */
  takeFunctionFault(id: FunctionId): Error | undefined {
    const kind = this.pending.get(id)?.shift();
    if (!kind) return undefined;
    this.injected.functions += 1;
    if (kind === 'throttle')
      return new InjectedFaultError('Lambda.TooManyRequestsException', 'Rate Exceeded. (injected)');
    if (kind === 'timeout')
      return new InjectedFaultError(
        'Sandbox.Timedout',
        `Task timed out after ${FUNCTIONS[id].timeoutSeconds.toFixed(2)} seconds (injected)`,
      );
    return new InjectedFaultError('Error', `Injected failure in ${id}`);
  }

  /** Throttles the first attempt of requests while the budget lasts, below the SDK's retry middleware. */
  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (this.throttleBudget > 0 && (request.headers?.['amz-sdk-request'] ?? 'attempt=1').startsWith('attempt=1')) {
          this.throttleBudget -= 1;
          this.injected.dynamoDbThrottles += 1;
          throw new ProvisionedThroughputExceededException({
            message: 'Throughput exceeds the current capacity of your table (injected)',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'injectThrottling' },
    );
  }
}
