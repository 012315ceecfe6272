import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FUNCTION_BUNDLING } from '../infra/aws/control-plane-stack.js';
import { writeFunctionEntry } from '../infra/aws/function-entries.js';
import type { FunctionId } from '../infra/system.js';
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
/** The ingress functions, which the issue holds to 400 KB each. */
const INGRESS = ['githubWebhook', 'slackInteractions', 'argocdWebhook'];

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
async function coldStartMs(
  entry: string,
  exported: string,
  environment: Record<string, string>,
  nodeOptions: string[] = [],
): Promise<number> {
  const started = performance.now();
  await run(
    process.execPath,
    [...nodeOptions, '--input-type=module', '-e', RUNNER, JSON.stringify([entry, exported])],
    {
      env: environment,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return performance.now() - started;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { url: string; lineNumber: number; columnNumber: number; functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (or our own source file) a module path belongs to. */
const moduleOf = (path: string): string => {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/u.exec(path);
  if (inPackage?.[1]) return inPackage[1];
  if (path.startsWith('node:')) return 'node (built-in)';
  return path.replace(/^.*?\/(functions|events|infra)\//u, '$1/');
};

/**
 * The modules that took the most CPU during a cold start, from a `--cpu-prof` profile: each
 * sample's self time goes to the module its frame is in, found through the asset's source map
 * for frames in the bundle, by path for frames in the runtime's SDK or Node itself.
 */
function topModules(profile: CpuProfile, entry: string, sourceMap: SourceMap | undefined, count: number) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byModule = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id);
    if (!frame) return;
    const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
    let module: string;
    if (file === entry && sourceMap) {
      const original = sourceMap.findEntry(frame.lineNumber, frame.columnNumber);
      module = 'originalSource' in original ? moduleOf(original.originalSource) : 'asset (unmapped)';
    } else if (file === '') module = frame.functionName || '(native)';
    else module = moduleOf(file);
    byModule.set(module, (byModule.get(module) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return [...byModule]
    .filter(([module]) => !module.startsWith('('))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([module, ms]) => ({ module, ms: round(ms) }));
}

/** One cold start under `--cpu-prof`: its time and the top five modules by CPU time during init and first invocation. */
async function profiledColdStart(entry: string, exported: string, environment: Record<string, string>) {
  const directory = await mkdtemp(join(tmpdir(), 'flightplan-cpu-prof-'));
  try {
    const ms = await coldStartMs(entry, exported, environment, ['--cpu-prof', `--cpu-prof-dir=${directory}`]);
    const [file] = await readdir(directory);
    const profile = JSON.parse(await readFile(join(directory, file ?? ''), 'utf8')) as CpuProfile;
    const sourceMap = existsSync(`${entry}.map`)
      ? new SourceMap(JSON.parse(await readFile(`${entry}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0])
      : undefined;
    return { ms, modules: topModules(profile, entry, sourceMap, 5) };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** esbuild as FUNCTION_BUNDLING runs it, for the variants built here from the same entry. */
async function bundle(
  entry: string,
  outfile: string,
  options: { sdkFromRuntime?: boolean; alias?: Record<string, string> } = {},
): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: FUNCTION_BUNDLING.minify,
    format: 'esm',
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    mainFields: FUNCTION_BUNDLING.mainFields,
    banner: { js: FUNCTION_BUNDLING.banner },
    nodePaths: [NODE_MODULES],
    external: options.sdkFromRuntime ? ['@aws-sdk/*'] : [],
    alias: options.sdkFromRuntime ? options.alias : { ...SHIPPED_ALIASES, ...options.alias },
    logLevel: 'error',
  });
}

/** The aliases FUNCTION_BUNDLING gives esbuild (`--alias` arguments), as esbuild's API takes them. */
const SHIPPED_ALIASES = Object.fromEntries(
  FUNCTION_BUNDLING.esbuildArgs['--alias'].map((argument) => {
    const [module = '', path = ''] = argument.split('=');
    return [module, path];
  }),
);

/** A Tracer that traces nothing: what a bundle without Powertools Tracer would cost. */
const NO_TRACER = 'export class Tracer { captureAWSv3Client(client) { return client; } }\n';

/**
 * The least any function that reads DynamoDB can cost: a handler that only creates the DynamoDB
 * document client, bundled the way the functions are.
 */
const DYNAMODB_FLOOR = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
let client;
export const handler = async () => { client ??= DynamoDBDocumentClient.from(new DynamoDBClient({})); };
`;

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
    // What ships stands alone: its directory has no node_modules above it, so an import the
    // bundle left out fails here as it would on Lambda. The runtime variant gets the runtime's.
    const shipped = join(directory, 'shipped');
    const runtime = join(directory, 'runtime');
    const sdkPackages = await runtimeLikeNodeModules(runtime);
    const noTracer = join(directory, 'no-tracer.mjs');
    await writeFile(noTracer, NO_TRACER);
    const entryIn = async (dir: string, name: string) => {
      await mkdir(join(dir, name), { recursive: true });
      return join(dir, name, 'index.mjs');
    };
    const emptyEntry = await entryIn(shipped, '(empty)');
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const floorSource = join(directory, 'dynamodb-floor.mjs');
    await writeFile(floorSource, DYNAMODB_FLOOR);
    const floorEntry = await entryIn(shipped, '(floor)');
    await bundle(floorSource, floorEntry);
    const measure = async (entry: string, exported: string, environment: Record<string, string>) => {
      const times: number[] = [];
      for (let attempt = 0; attempt < RUNS; attempt += 1) times.push(await coldStartMs(entry, exported, environment));
      return median(times);
    };
    const kib = async (file: string) => round((await stat(file)).size / 1024);
    const load = [loadavg()[0] ?? 0];
    const noEnvironment = lambdaEnvironment({ environment: {} }, false);
    const baseline = await measure(emptyEntry, 'handler', noEnvironment);
    const floor = await measure(floorEntry, 'handler', noEnvironment);
    const blank = {
      'with source maps ms': '',
      'source maps × empty': '',
      'SDK from runtime KiB': '',
      'SDK from runtime × empty': '',
      'no Tracer KiB': '',
      'no Tracer × empty': '',
      'top modules by CPU (ms)': '',
    };
    const rows: BenchResult['rows'] = [
      {
        function: '(baseline) empty handler',
        'asset KiB': 0.1,
        'cold start ms': round(baseline),
        '× empty': 1,
        ...blank,
      },
      {
        function: '(floor) DynamoDB document client only',
        'asset KiB': await kib(floorEntry),
        'cold start ms': round(floor),
        '× empty': round(floor / baseline, 2),
        ...blank,
      },
    ];
    const details: { function: string; topModules: { module: string; ms: number }[] }[] = [];
    for (const fn of functions) {
      const source = writeFunctionEntry(fn.functionId as FunctionId);
      const entry = await entryIn(shipped, fn.functionId);
      await copyFile(fn.entry, entry);
      if (existsSync(`${fn.entry}.map`)) await copyFile(`${fn.entry}.map`, `${entry}.map`);
      const fromRuntime = await entryIn(runtime, fn.functionId);
      await bundle(source, fromRuntime, { sdkFromRuntime: true });
      const withoutTracer = await entryIn(shipped, `${fn.functionId}-no-tracer`);
      await bundle(source, withoutTracer, { alias: { '@aws-lambda-powertools/tracer': noTracer } });
      const plain = await measure(entry, fn.handler, lambdaEnvironment(fn, false));
      const withSourceMaps = await measure(entry, fn.handler, lambdaEnvironment(fn, true));
      const runtimeSdk = await measure(fromRuntime, fn.handler, lambdaEnvironment(fn, false));
      const tracerless = await measure(withoutTracer, fn.handler, lambdaEnvironment(fn, false));
      const profiled = await profiledColdStart(entry, fn.handler, lambdaEnvironment(fn, false));
      details.push({ function: fn.functionId, topModules: profiled.modules });
      rows.push({
        function: fn.functionId,
        'asset KiB': await kib(fn.entry),
        'cold start ms': round(plain),
        '× empty': round(plain / baseline, 2),
        'with source maps ms': round(withSourceMaps),
        'source maps × empty': round(withSourceMaps / baseline, 2),
        'SDK from runtime KiB': await kib(fromRuntime),
        'SDK from runtime × empty': round(runtimeSdk / baseline, 2),
        'no Tracer KiB': await kib(withoutTracer),
        'no Tracer × empty': round(tracerless / baseline, 2),
        'top modules by CPU (ms)': '',
      });
      rows.push({
        function: `${fn.functionId} (--cpu-prof)`,
        'asset KiB': '',
        'cold start ms': round(profiled.ms),
        '× empty': round(profiled.ms / baseline, 2),
        ...blank,
        'top modules by CPU (ms)': profiled.modules.map(({ module, ms }) => `${module} ${ms}`).join(', '),
      });
      load.push(loadavg()[0] ?? 0);
    }
    const measured = rows.filter((row) => typeof row['SDK from runtime KiB'] === 'number');
    const column = (key: string) => measured.map((row) => Number(row[key]));
    const ingress = measured.filter((row) => INGRESS.includes(String(row['function'])));
    const summary = {
      'asset KiB median': median(column('asset KiB')),
      'asset KiB max': Math.max(...column('asset KiB')),
      'ingress asset KiB max': Math.max(...ingress.map((row) => Number(row['asset KiB']))),
      '× empty median': median(column('× empty')),
      '× empty max': Math.max(...column('× empty')),
      'source maps × empty median': median(column('source maps × empty')),
      'floor (DynamoDB client only) × empty': round(floor / baseline, 2),
      'SDK from runtime KiB median': median(column('SDK from runtime KiB')),
      'SDK from runtime KiB max': Math.max(...column('SDK from runtime KiB')),
      'SDK from runtime × empty median': median(column('SDK from runtime × empty')),
      'SDK from runtime × empty max': Math.max(...column('SDK from runtime × empty')),
      'no Tracer KiB median': median(column('no Tracer KiB')),
      'no Tracer × empty median': median(column('no Tracer × empty')),
      'load average (1 min) min': round(Math.min(...load), 2),
      'load average (1 min) max': round(Math.max(...load), 2),
    };
    return {
      name: 'cold-start',
      description: `What ships: each asset from cdk.out (the AWS SDK bundled) with its template environment, source maps off and on (as deployed), run from a directory with no node_modules. Beside it, built here from the same entry the way synth builds it: the SDK left to the runtime (loaded from a runtime-like node_modules of ${sdkPackages} packages: @aws-sdk/* and its dependencies only), and the asset without Powertools Tracer. A cold start is a whole Node ${process.version} process (spawn, import, first invocation, exit), median of ${RUNS}, against an empty handler timed the same way in the same run; the floor is a handler that only creates the DynamoDB document client. Each function's second row is one cold start under --cpu-prof, with the five modules that took the most CPU (mapped through the asset's source map). Summary: ${Object.entries(
        summary,
      )
        .map(([key, value]) => `${key} ${value}`)
        .join('; ')}`,
      rows,
      details: { summary, cpuProfiles: details },
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
