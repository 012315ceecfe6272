import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  ensureCloudAssembly,
  readTemplate,
  synthesizedFunctions,
  type SynthesizedFunction,
} from '../test/support/cloud-assembly.js';
import { median, round, type BenchResult } from './support.js';

const run = promisify(execFile);
const RUNS = 5;
const NODE_MODULES = resolve('node_modules');

/**
 * A node_modules with only what the Lambda runtime provides: `@aws-sdk/*` and what it depends
 * on. The assets leave the SDK out (CDK's default for Node 18 and later), so this is what they
 * load it from; anything else they need and did not bundle fails to load, as it would on Lambda.
 */
async function runtimeLikeNodeModules(directory: string): Promise<number> {
  const closure = new Set<string>();
  const visit = async (name: string) => {
    if (closure.has(name) || !existsSync(join(NODE_MODULES, name, 'package.json'))) return;
    closure.add(name);
    const manifest = JSON.parse(await readFile(join(NODE_MODULES, name, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) await visit(dependency);
  };
  for (const name of await readdir(join(NODE_MODULES, '@aws-sdk'))) await visit(`@aws-sdk/${name}`);
  for (const name of closure) {
    await mkdir(join(directory, 'node_modules', name, '..'), { recursive: true });
    await symlink(join(NODE_MODULES, name), join(directory, 'node_modules', name), 'dir');
  }
  return closure.size;
}

const RUNNER = `const [entry, exported] = JSON.parse(process.argv[1]);
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 3000 };
const module = await import(entry);
try { await module[exported]({}, context); } catch {}
process.exit(0);`;

/**
 * A cold start is the whole process, timed from outside: Node starts, imports the asset, makes the
 * first invocation (with an event every function refuses before any network call, after its
 * ports are built) and exits. The empty handler is timed the same way in the same run.
 */
async function coldStartMs(entry: string, exported: string, environment: Record<string, string>): Promise<number> {
  const started = performance.now();
  await run(process.execPath, ['--input-type=module', '-e', RUNNER, JSON.stringify([entry, exported])], {
    env: environment,
    maxBuffer: 16 * 1024 * 1024,
  });
  return performance.now() - started;
}

const lambdaEnvironment = (
  fn: Pick<SynthesizedFunction, 'environment'>,
  sourceMaps: boolean,
): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '',
  ...fn.environment,
  NODE_OPTIONS: sourceMaps ? '--enable-source-maps' : '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

export async function coldStartBench(): Promise<BenchResult> {
  await ensureCloudAssembly();
  const functions = synthesizedFunctions(readTemplate(), {
    account: '123456789012',
    region: 'us-east-1',
    ref: (logicalId, resource) =>
      resource?.Type === 'AWS::SecretsManager::Secret'
        ? `arn:aws:secretsmanager:us-east-1:123456789012:secret:${logicalId}`
        : logicalId,
  });
  const directory = await mkdtemp(join(tmpdir(), 'flightplan-lambda-'));
  try {
    const sdkPackages = await runtimeLikeNodeModules(directory);
    const emptyEntry = join(directory, 'empty', 'index.mjs');
    await mkdir(join(directory, 'empty'));
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const measure = async (entry: string, exported: string, environment: Record<string, string>) => {
      const times: number[] = [];
      for (let attempt = 0; attempt < RUNS; attempt += 1) times.push(await coldStartMs(entry, exported, environment));
      return median(times);
    };
    const baseline = await measure(emptyEntry, 'handler', lambdaEnvironment({ environment: {} }, false));
    const rows: BenchResult['rows'] = [
      {
        function: '(baseline) empty handler',
        'asset KiB': 0.1,
        'cold start ms': round(baseline),
        '× empty': 1,
        'with source maps ms': '',
        'source maps × empty': '',
      },
    ];
    for (const fn of functions) {
      const entry = join(directory, fn.functionId, 'index.mjs');
      await mkdir(join(directory, fn.functionId));
      await copyFile(fn.entry, entry);
      if (existsSync(`${fn.entry}.map`)) await copyFile(`${fn.entry}.map`, `${entry}.map`);
      const plain = await measure(entry, fn.handler, lambdaEnvironment(fn, false));
      const withSourceMaps = await measure(entry, fn.handler, lambdaEnvironment(fn, true));
      rows.push({
        function: fn.functionId,
        'asset KiB': round((await stat(fn.entry)).size / 1024),
        'cold start ms': round(plain),
        '× empty': round(plain / baseline, 2),
        'with source maps ms': round(withSourceMaps),
        'source maps × empty': round(withSourceMaps / baseline, 2),
      });
    }
    return {
      name: 'cold-start',
      description: `What ships: each asset from cdk.out with its template environment (source maps on, as deployed, and off), the AWS SDK from a runtime-like node_modules (${sdkPackages} packages: @aws-sdk/* and its dependencies only). A cold start is a whole Node ${process.version} process (spawn, import, first invocation, exit), median of ${RUNS}, against an empty handler timed the same way in the same run`,
      rows,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
