import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * The one door to zod: zod/mini, whose schemas are plain functions a bundler tree-shakes, instead of
 * the classic API, whose import and per-schema methods dominated every Lambda's size and cold start.
 * Mini leaves the locale to the caller; the English one keeps problem+json messages as they were.
 * Import it as `import * as z from '<relative>/zod.js'`, never re-export it as one object, so
 * esbuild still drops what a function does not use.
 */
config(en());

export * from 'zod/mini';
// Mini throws core's error class; classic's ZodError is a subclass of it that mini never loads.
export { $ZodError as ZodError } from 'zod/v4/core';
