import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { problemsForBadInputs } from '../support/validation-table.js';

/**
 * The problem+json a client gets for a bad input is part of the contract: its messages come from
 * zod (and its English locale), so a change of how zod is imported or bundled must not change a
 * word. The snapshot was taken before zod's import changed; the bundled run checks that the
 * minified, tree-shaken bundle says exactly what the sources say.
 */
describe('validation problems', () => {
  it('list the same errors for each bad input as before', () => {
    expect(problemsForBadInputs()).toMatchSnapshot();
  });

  it('list the same errors when bundled and minified as Lambda bundles are', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'flightplan-validation-'));
    try {
      const outfile = join(directory, 'table.mjs');
      await build({
        entryPoints: [resolve('test/support/validation-table.ts')],
        outfile,
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        mainFields: ['module', 'main'],
        external: ['@aws-sdk/*'],
        logLevel: 'error',
      });
      const bundled = (await import(pathToFileURL(outfile).href)) as {
        problemsForBadInputs: typeof problemsForBadInputs;
      };
      expect(bundled.problemsForBadInputs()).toEqual(problemsForBadInputs());
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
