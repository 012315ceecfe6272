import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import type { Once } from '../../use-cases/once.js';

/**
 * `Once` on Powertools idempotency (the DynamoDB idempotency table on AWS and locally): the key's
 * record is written IN_PROGRESS before the effect and COMPLETED after it; a failed effect deletes
 * it, so a retry runs it again. A delivery racing another one for the same key throws
 * IdempotencyAlreadyInProgressError, and the bus retries it. With the Lambda context, a record
 * left IN_PROGRESS by a timed-out invocation expires with that invocation. Powertools configures a
 * persistence layer once, for its first user: give each function its own.
 */
export function powertoolsOnce(persistenceStore: BasePersistenceLayer, options: { keyPrefix: string; expiresAfterSeconds: number; context?: Context }): Once {
  return async (key, effect) => {
    const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: options.expiresAfterSeconds, throwOnNoIdempotencyKey: true });
    if (options.context) config.registerLambdaContext(options.context);
    const outcome = { ran: false };
    await makeIdempotent(
      async (_input: { key: string }) => {
        await effect();
        outcome.ran = true;
        return { done: true };
      },
      { persistenceStore, config, keyPrefix: options.keyPrefix },
    )({ key });
    return outcome.ran ? 'done' : 'already-done';
  };
}
