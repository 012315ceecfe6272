import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime.js';

export interface BenchResult {
  name: string;
  description: string;
  /** Rows for the README table: one object per row, same keys. */
  rows: Record<string, string | number>[];
  details?: unknown;
}

export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

export const median = (values: number[]): number => percentile(values, 50);

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** A local runtime for a benchmark: DynamoDB in memory, data in a temp dir. */
export async function withRuntime<T>(timeScale: number, run: (runtime: LocalRuntime) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flightplan-bench-'));
  const runtime = await startLocalRuntime({ port: 0, dataDir, inMemory: true, timeScale });
  try {
    return await run(runtime);
  } finally {
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
  }
}

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
