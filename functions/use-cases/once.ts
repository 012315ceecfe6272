/**
 * Runs a side effect at most once per key, however often the event that asks for it is
 * delivered: `done` when it ran now, `already-done` when an earlier delivery ran it.
 */
export type Once = (key: string, effect: () => Promise<void>) => Promise<'done' | 'already-done'>;

/** Runs every effect: for callers that need no deduplication (and for tests of the effect itself). */
export const always: Once = async (_key, effect) => {
  await effect();
  return 'done';
};
