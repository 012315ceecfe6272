import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionBundling } from '../../infra/aws/control-plane-stack.js';
import { writeFunctionEntry } from '../../infra/aws/function-entries.js';
import { FUNCTIONS, type FunctionId } from '../../infra/system.js';
import { bundledModules, clientsBeyondPorts, esbuildOptionsOf } from '../support/bundle-contents.js';
import { ensureCloudAssembly, readTemplate, synthesizedFunctions } from '../support/cloud-assembly.js';

/**
 * Each shipped bundle holds only what its function uses: a client behind a port the function
 * does not declare is weight (and init time) on every cold start, and a sign that a module
 * imports more than its function needs.
 */
const shippedFunctions = () =>
  synthesizedFunctions(readTemplate(), { account: '123456789012', region: 'us-east-1', ref: (logicalId) => logicalId });

/** Imports each bundle in one Node process; what failed to import, by function. */
const IMPORT_ALL = `const failed = {};
for (const [name, entry] of JSON.parse(process.argv[1])) {
  try { await import(entry); } catch (error) { failed[name] = String(error.message).split('\\n')[0]; }
}
process.stdout.write(JSON.stringify(failed));`;

describe('function bundles in cdk.out', () => {
  beforeAll(ensureCloudAssembly, 600_000);

  it('hold no client that the ports their function declares do not need', () => {
    const functions = shippedFunctions();
    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    const extra = Object.fromEntries(
      functions.flatMap((fn) => {
        const { ports } = FUNCTIONS[fn.functionId as FunctionId].module.declaration;
        const clients = clientsBeyondPorts(bundledModules(fn.entry), ports);
        return clients.length > 0 ? [[fn.functionId, clients]] : [];
      }),
    );
    expect(extra).toEqual({});
  });

  it('stand alone: each imports from a directory with no node_modules, as the SDK ships inside it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'flightplan-bundles-'));
    try {
      const copies = await Promise.all(
        shippedFunctions().map(async (fn) => {
          await mkdir(join(directory, fn.functionId));
          const copy = join(directory, fn.functionId, 'index.mjs');
          await copyFile(fn.entry, copy);
          return [fn.functionId, copy] as const;
        }),
      );
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '-e', IMPORT_ALL, JSON.stringify(copies)],
        { cwd: directory, env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1' } },
      );
      expect(JSON.parse(stdout)).toEqual({});
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('carry zod/mini with its English messages only: no classic zod and no other locale', () => {
    const heavy = Object.fromEntries(
      shippedFunctions().flatMap((fn) => {
        const modules = bundledModules(fn.entry).filter((module) =>
          /node_modules\/zod\/(v3|v4\/classic|v4\/locales\/(?!en\.js))/u.test(module),
        );
        return modules.length > 0 ? [[fn.functionId, modules]] : [];
      }),
    );
    expect(heavy).toEqual({});
  });

  it('leave the YAML library out of the portal API, which reads and writes no repository files', () => {
    const portalApi = shippedFunctions().find((fn) => fn.functionId === 'portalApi');
    expect(portalApi).toBeDefined();
    expect(bundledModules(portalApi?.entry ?? '').filter((module) => /node_modules\/yaml\//u.test(module))).toEqual([]);
  });

  it("leave out @octokit/rest's table of every GitHub endpoint: the GitHub adapters call their routes through @octokit/core", () => {
    const withTable = shippedFunctions().filter((fn) =>
      bundledModules(fn.entry).some((module) =>
        /node_modules\/@octokit\/(rest|plugin-rest-endpoint-methods)\//u.test(module),
      ),
    );
    expect(withTable.map((fn) => fn.functionId)).toEqual([]);
  });

  it.each([
    ['aws-calls', true],
    ['invocations', false],
  ] as const)('with flightplan:tracing %s, bundle Powertools Tracer and the X-Ray SDK: %s', async (tracing, traced) => {
    const { metafile } = await build({
      ...esbuildOptionsOf(functionBundling(tracing)),
      entryPoints: [writeFunctionEntry('acquireDeploymentLock')],
      write: false,
      outfile: 'index.mjs',
      metafile: true,
    });
    const tracerModules = Object.keys(metafile.inputs).filter((path) =>
      /node_modules\/(@aws-lambda-powertools\/tracer|aws-xray-sdk-core)\//u.test(path),
    );
    expect(tracerModules.length > 0).toBe(traced);
  });
});
