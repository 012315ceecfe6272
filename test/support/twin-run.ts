import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the e2e-twin run's shared twin keeps its data (test/support/local-runtime.ts). */
    twinDataRoot: string;
  }
}

/**
 * The e2e-twin project's global setup, in vitest's main process: the shared twin's data directory,
 * removed once the run is over. Vitest stops the test worker with SIGTERM and SIGKILL half a second
 * later, too soon to remove git repositories and logs that worker threads may still be writing;
 * by teardown the worker is gone.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'flightplan-twin-run-'));
  project.provide('twinDataRoot', root);
  return async () => {
    await rm(root, { recursive: true, force: true, maxRetries: 5 });
  };
}
