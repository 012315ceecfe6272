import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import * as errors from '../../functions/errors.js';
import { STATE_MACHINES, functionPlaceholder, type FunctionId } from '../../infra/system.js';
import { FUNCTION_BUNDLING } from '../../infra/aws/control-plane-stack.js';
import { allStates, matchedErrors, type State } from '../support/asl.js';
import {
  ensureCloudAssembly,
  readTemplate,
  synthesizedFunctions,
  type SynthesizedFunction,
} from '../support/cloud-assembly.js';

/**
 * Step Functions matches Retry and Catch on the error's name as the shipped bundle throws it. The
 * bundles are minified, so a name taken from the class (`new.target.name`, `SomeError.name`) would
 * be a one-letter name there, and no Retry or Catch would match.
 */
const ours = (name: string) => !name.startsWith('States.') && !name.startsWith('Lambda.');

/** For every Task state: the function it invokes and the errors its Retry and Catch name. */
function caughtErrorsByFunction(): [FunctionId, string[]][] {
  const byPlaceholder = new Map<string, FunctionId>(
    Object.values(STATE_MACHINES).flatMap((spec) =>
      spec.steps.map((step) => [functionPlaceholder(step), step] as const),
    ),
  );
  const pairs = new Map<FunctionId, Set<string>>();
  for (const spec of Object.values(STATE_MACHINES)) {
    const definition = JSON.parse(readFileSync(spec.definitionFile, 'utf8')) as { States: Record<string, State> };
    for (const [, state] of allStates(definition)) {
      if (state['Type'] !== 'Task') continue;
      const placeholder = /\$\{(\w+FunctionArn)\}/u.exec(JSON.stringify(state))?.[1];
      const step = placeholder ? byPlaceholder.get(placeholder) : undefined;
      if (!step) continue;
      const names = pairs.get(step) ?? new Set<string>();
      for (const name of matchedErrors(state).filter(ours)) names.add(name);
      pairs.set(step, names);
    }
  }
  return [...pairs].filter(([, names]) => names.size > 0).map(([step, names]) => [step, [...names].sort()]);
}

describe('error names in the shipped bundles', () => {
  let bundles: Map<string, SynthesizedFunction>;

  beforeAll(async () => {
    await ensureCloudAssembly();
    bundles = new Map(
      synthesizedFunctions(readTemplate(), { account: '123456789012', region: 'us-east-1', ref: (id) => id }).map(
        (fn) => [fn.functionId, fn],
      ),
    );
  });

  it.each(caughtErrorsByFunction())(
    '%s is bundled with the literal name of every error its Retry and Catch match: %j',
    (functionId, names) => {
      const bundle = bundles.get(functionId);
      expect(bundle, `${functionId} has no bundle in cdk.out`).toBeDefined();
      const code = readFileSync(bundle?.entry ?? '', 'utf8');
      const missing = names.filter((name) => !new RegExp(`name\\s*=\\s*["'\`]${name}["'\`]`, 'u').test(code));
      expect(missing).toEqual([]);
    },
  );
});

describe('error classes minified as the stack bundles them', () => {
  it('throws every workflow error under its own name', async () => {
    const result = await build({
      entryPoints: [resolve('functions/errors.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      minify: FUNCTION_BUNDLING.minify,
      target: FUNCTION_BUNDLING.target,
      mainFields: FUNCTION_BUNDLING.mainFields,
      banner: { js: FUNCTION_BUNDLING.banner },
    });
    const directory = await mkdtemp(join(tmpdir(), 'flightplan-errors-'));
    const bundled = join(directory, 'errors.mjs');
    await writeFile(bundled, result.outputFiles[0]?.text ?? '');
    const minified = (await import(pathToFileURL(bundled).href)) as Record<string, unknown>;
    await rm(directory, { recursive: true, force: true });
    const thrown = Object.keys(errors)
      .filter((exported) => exported.endsWith('Error'))
      .map((exported) => [exported, new (minified[exported] as new (message: string) => Error)('').name]);
    expect(thrown.length).toBeGreaterThan(10);
    for (const [exported, name] of thrown) expect(name).toBe(exported);
    expect(errors.WORKFLOW_ERROR_NAMES.filter((name) => !(name in errors))).toEqual([]);
  });
});
