/**
 * Loads on the first call and keeps what it loaded for the container's life. A load that fails (a
 * Secrets Manager throttle, say) is forgotten, so the next call tries again instead of every call
 * failing until Lambda recycles the container.
 */
export function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}
