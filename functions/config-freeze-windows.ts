import { freezeWindowsSchema, type FreezeWindow } from './domain/freeze-window.js';
import { ENV } from './config.js';

// Apart from config.ts, which every function imports for its variable names, so that only a
// function that reads freeze windows builds their schema at its cold start.

/** Freeze windows from FLIGHTPLAN_FREEZE_WINDOWS; a malformed value stops the function at cold start with the reason. */
export function freezeWindowsFrom(env: NodeJS.ProcessEnv): FreezeWindow[] {
  const raw = env[ENV.freezeWindows];
  if (raw === undefined || raw.trim() === '') return [];
  try {
    return freezeWindowsSchema.parse(JSON.parse(raw));
  } catch (error) {
    throw new Error(
      `Environment variable ${ENV.freezeWindows} must be a JSON array of freeze windows: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
