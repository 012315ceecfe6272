import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../infra/local/runtime.js';

export interface BenchResult {
  name: string;
  description: string;
  /** Rows for the README table: one object per row, same keys. */
  rows: Record<string, string | number>[];
  details?: unknown;
}

/** `npm run bench` options; a benchmark reads those it uses and ignores the others. */
export interface BenchOptions {
  /** A git revision to measure in the same run, beside this checkout (`--baseline`). */
  baseline?: string;
}

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/** The middle value, or the mean of the two middle values of an even count. */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? 0;
  return ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** What a benchmark asks of `startLocalRuntime`, this checkout's or another revision's. */
export type BenchStartOptions = Pick<LocalRuntimeOptions, 'port' | 'dataDir' | 'inMemory' | 'timeScale'>;

/** A runtime from `start` for a benchmark: DynamoDB in memory, data in a temp dir. */
export async function withStartedRuntime<T, R extends { stop(): Promise<void> }>(
  start: (options: BenchStartOptions) => Promise<R>,
  timeScale: number,
  run: (runtime: R) => Promise<T>,
): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-bench-'));
  const runtime = await start({ port: 0, dataDir, inMemory: true, timeScale });
  try {
    return await run(runtime);
  } finally {
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** This checkout's local runtime for a benchmark. */
export const withRuntime = <T>(timeScale: number, run: (runtime: LocalRuntime) => Promise<T>): Promise<T> =>
  withStartedRuntime(startLocalRuntime, timeScale, run);

export async function waitUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, pollMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Runs `worker` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(items: T[], concurrency: number, worker: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await worker(items[index] as T);
      }
    }),
  );
  return results;
}
