import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';

/**
 * Runs a side effect at most once per key, however often the event that asks for it is
 * delivered: `done` when it ran now, `already-done` when an earlier delivery ran it.
 */
export type Once = (key: string, effect: () => Promise<void>) => Promise<'done' | 'already-done'>;

/**
 * `Once` on the idempotency port (Powertools idempotency: its DynamoDB table on AWS and locally).
 * The key's record is written IN_PROGRESS before the effect and COMPLETED after it; a failed
 * effect deletes it, so a retry runs it again. A delivery racing another for the same key throws
 * IdempotencyAlreadyInProgressError and the bus retries it. An IN_PROGRESS record left by a
 * crashed invocation stops counting after `inProgressSeconds` (the function's timeout), so the
 * retry is not refused for the whole memory window. Powertools configures a persistence layer
 * once, for its first user: each function needs its own (as each Lambda has).
 */
export function idempotentOnce(
  persistenceStore: BasePersistenceLayer,
  options: { keyPrefix: string; expiresAfterSeconds: number; inProgressSeconds: number },
): Once {
  return async (key, effect) => {
    const config = new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      expiresAfterSeconds: options.expiresAfterSeconds,
      throwOnNoIdempotencyKey: true,
    });
    const deadline = Date.now() + options.inProgressSeconds * 1000;
    // Powertools reads only the remaining time from the context, for the IN_PROGRESS expiry.
    config.registerLambdaContext({ getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 1) } as Context);
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
