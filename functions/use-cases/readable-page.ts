import type { Page } from '../ports/index.js';

/** Enough reads to fill a page for a team that owns little of a busy table, without scanning it all. */
const MAX_READS_PER_PAGE = 10;

/**
 * A page of only the items the caller may see, filled up to `limit`: the store is read on from
 * where each read stopped, so the cursor returned still leads exactly after the last item read.
 */
export async function readablePage<T>(
  read: (page: { limit: number; cursor?: string }) => Promise<Page<T>>,
  page: { limit: number; cursor?: string },
  readable: (item: T) => boolean,
): Promise<Page<T>> {
  const items: T[] = [];
  let cursor = page.cursor;
  for (let reads = 0; reads < MAX_READS_PER_PAGE; reads += 1) {
    const next = await read({ limit: page.limit - items.length, ...(cursor ? { cursor } : {}) });
    items.push(...next.items.filter(readable));
    cursor = next.nextCursor ?? undefined;
    if (!cursor || items.length >= page.limit) break;
  }
  return { items, nextCursor: cursor ?? null };
}
