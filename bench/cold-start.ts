import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { functionBundling } from '../infra/aws/control-plane-stack.js';
import { DEFAULT_TRACING, type TracingMode } from '../infra/aws/settings.js';
import { esbuildOptionsOf } from '../test/support/bundle-contents.js';
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
/**
 * Rounds per function. With 5, a function's ratio moved by up to 0.35× between two runs of the
 * same assets, more than most changes it is meant to show: the empty handler's median of five
 * alone varied from 22 to 27 ms between rows.
 */
const RUNS = 9;
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

const RUNNER = `const [entry, exported, formatsStack] = JSON.parse(process.argv[1]);
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 3000 };
const module = await import(entry);
try { await module[exported]({}, context); } catch (error) { if (formatsStack) void String(error?.stack); }
process.exit(0);`;

/**
 * A cold start is the whole process, timed from outside: Node starts, imports the asset, makes the
 * first invocation (with an event every function refuses before any network call, after its
 * ports are built) and exits. The empty handler is timed the same way in the same run. With
 * `formatsStack`, the refusal's stack trace is formatted, as Lambda's runtime does when it reports
 * a failed invocation; without, it is not, as on an invocation that succeeds.
 */
async function coldStartMs(
  entry: string,
  exported: string,
  environment: Record<string, string>,
  { nodeOptions = [], formatsStack = false }: { nodeOptions?: string[]; formatsStack?: boolean } = {},
): Promise<number> {
  const started = performance.now();
  await run(
    process.execPath,
    [...nodeOptions, '--input-type=module', '-e', RUNNER, JSON.stringify([entry, exported, formatsStack])],
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
    const ms = await coldStartMs(entry, exported, environment, {
      nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${directory}`],
    });
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

/** The SDK packages the functions import; the "without the SDK" variant replaces each with {@link SDK_STUB}. */
const STUBBED_SDK_PACKAGES = [
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-ecr',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sts',
  '@aws-sdk/credential-provider-env',
  '@aws-sdk/lib-dynamodb',
];

/**
 * What a function would weigh with the least an AWS client needs: every export of the SDK's
 * client packages is a class that only records its input, and beside it sit the pieces a
 * hand-written JSON client could not do without (the SDK's own SigV4 signer, SHA-256 and the
 * DynamoDB marshaller). CommonJS, so that any name a function imports resolves at run time (esbuild's interop
 * copies a CommonJS module's own keys onto an object with the module's prototype, so the names
 * come from a prototype that answers every one). It
 * answers what the SDK costs each function; it is measured, never shipped.
 */
const SDK_STUB = `const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');
const { marshall, unmarshall } = require('@aws-sdk/util-dynamodb');
const noOp = new Proxy({}, { get: () => () => undefined });
// A function, not a class: some exports are called (fromEnv(), paginators), others constructed.
function Stub(input) {
  if (!new.target) return new Stub(input);
  this.input = input;
  this.middlewareStack = noOp;
  this.signer = new SignatureV4({ service: 'stub', region: 'us-east-1', credentials: { accessKeyId: '', secretAccessKey: '' }, sha256: Sha256 });
  this.codec = { marshall, unmarshall };
}
Stub.from = (client) => new Stub(client);
Stub.prototype.send = async () => { throw new Error('the SDK stub makes no calls'); };
const anyName = new Proxy({}, { get: (_, name) => (typeof name === 'string' && name !== 'then' && name !== '__esModule' ? Stub : undefined) });
module.exports = Object.create(anyName);
`;

/** esbuild as synth runs it for `tracing`, for the variants built here from the same entry. */
async function bundle(
  entry: string,
  outfile: string,
  options: { sdkFromRuntime?: boolean; sdkStub?: string; tracing?: TracingMode } = {},
): Promise<void> {
  const shipped = esbuildOptionsOf(functionBundling(options.tracing ?? DEFAULT_TRACING));
  const { sdkStub } = options;
  await build({
    ...shipped,
    entryPoints: [entry],
    outfile,
    nodePaths: [NODE_MODULES],
    ...(options.sdkFromRuntime ? { external: ['@aws-sdk/*'], alias: {} } : {}),
    ...(sdkStub
      ? { alias: { ...shipped.alias, ...Object.fromEntries(STUBBED_SDK_PACKAGES.map((name) => [name, sdkStub])) } }
      : {}),
  });
}

/**
 * The least any function that reads DynamoDB can cost: a handler that only creates the DynamoDB
 * document client, bundled the way the functions are.
 */
const DYNAMODB_FLOOR = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
let client;
export const handler = async () => { client ??= DynamoDBDocumentClient.from(new DynamoDBClient({})); };
`;

/**
 * The function's template environment, as Lambda gives it, or with Node's own source-map support
 * on top (`--enable-source-maps`), which the functions shipped with until each bundle mapped its
 * own stacks on demand.
 */
const lambdaEnvironment = (
  fn: Pick<SynthesizedFunction, 'environment'>,
  nodeSourceMaps: boolean,
): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '',
  ...fn.environment,
  ...(nodeSourceMaps ? { NODE_OPTIONS: `${fn.environment['NODE_OPTIONS'] ?? ''} --enable-source-maps`.trim() } : {}),
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
    const sdkStub = join(directory, 'sdk-stub.cjs');
    await writeFile(sdkStub, SDK_STUB);
    const kib = async (file: string) => round((await stat(file)).size / 1024);
    const load = [loadavg()[0] ?? 0];
    const noEnvironment = lambdaEnvironment({ environment: {} }, false);
    const emptyRuns: number[] = [];
    /**
     * Median cold start of each variant, against the empty handler's median from the same rounds:
     * each round starts every variant once between two starts of the empty handler, so a change in
     * the machine's load during a run shifts the baseline and the variants together.
     */
    const measure = async <Name extends string>(
      variants: Record<
        Name,
        { entry: string; exported: string; environment: Record<string, string>; formatsStack?: boolean }
      >,
    ) => {
      const times = new Map<Name | '(empty)', number[]>();
      const record = (name: Name | '(empty)', ms: number) => times.set(name, [...(times.get(name) ?? []), ms]);
      for (let pass = 0; pass < RUNS; pass += 1) {
        record('(empty)', await coldStartMs(emptyEntry, 'handler', noEnvironment));
        for (const [name, variant] of Object.entries(variants) as [Name, (typeof variants)[Name]][]) {
          record(
            name,
            await coldStartMs(variant.entry, variant.exported, variant.environment, {
              formatsStack: variant.formatsStack ?? false,
            }),
          );
        }
        record('(empty)', await coldStartMs(emptyEntry, 'handler', noEnvironment));
      }
      emptyRuns.push(...(times.get('(empty)') ?? []));
      const baseline = median(times.get('(empty)') ?? []);
      const ms = (name: Name) => median(times.get(name) ?? []);
      return { baseline, ms, ratio: (name: Name) => round(ms(name) / baseline, 2) };
    };
    const floor = await measure({ floor: { entry: floorEntry, exported: 'handler', environment: noEnvironment } });
    const blank = {
      'with --enable-source-maps ms': '',
      '--enable-source-maps × empty': '',
      'stack formatted × empty': '',
      '--enable-source-maps, stack formatted × empty': '',
      'SDK from runtime KiB': '',
      'SDK from runtime × empty': '',
      'aws-calls tracing KiB': '',
      'aws-calls tracing × empty': '',
      'no SDK KiB': '',
      'no SDK × empty': '',
      'top modules by CPU (ms)': '',
    };
    const rows: BenchResult['rows'] = [
      {
        function: '(floor) DynamoDB document client only',
        'asset KiB': await kib(floorEntry),
        'empty handler ms': round(floor.baseline),
        'cold start ms': round(floor.ms('floor')),
        '× empty': floor.ratio('floor'),
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
      const withTracer = await entryIn(shipped, `${fn.functionId}-aws-calls`);
      await bundle(source, withTracer, { tracing: 'aws-calls' });
      const withoutSdk = await entryIn(shipped, `${fn.functionId}-no-sdk`);
      await bundle(source, withoutSdk, { sdkStub });
      const plain = lambdaEnvironment(fn, false);
      const variant = (file: string, environment = plain) => ({ entry: file, exported: fn.handler, environment });
      const run = await measure({
        plain: variant(entry),
        nodeSourceMaps: variant(entry, lambdaEnvironment(fn, true)),
        plainFormatting: { ...variant(entry), formatsStack: true },
        nodeSourceMapsFormatting: { ...variant(entry, lambdaEnvironment(fn, true)), formatsStack: true },
        runtimeSdk: variant(fromRuntime),
        traced: variant(withTracer),
        sdkless: variant(withoutSdk),
      });
      const profiled = await profiledColdStart(entry, fn.handler, plain);
      details.push({ function: fn.functionId, topModules: profiled.modules });
      rows.push({
        function: fn.functionId,
        'asset KiB': await kib(fn.entry),
        'empty handler ms': round(run.baseline),
        'cold start ms': round(run.ms('plain')),
        '× empty': run.ratio('plain'),
        'with --enable-source-maps ms': round(run.ms('nodeSourceMaps')),
        '--enable-source-maps × empty': run.ratio('nodeSourceMaps'),
        'stack formatted × empty': run.ratio('plainFormatting'),
        '--enable-source-maps, stack formatted × empty': run.ratio('nodeSourceMapsFormatting'),
        'SDK from runtime KiB': await kib(fromRuntime),
        'SDK from runtime × empty': run.ratio('runtimeSdk'),
        'aws-calls tracing KiB': await kib(withTracer),
        'aws-calls tracing × empty': run.ratio('traced'),
        'no SDK KiB': await kib(withoutSdk),
        'no SDK × empty': run.ratio('sdkless'),
        'top modules by CPU (ms)': '',
      });
      rows.push({
        function: `${fn.functionId} (--cpu-prof)`,
        'asset KiB': '',
        'empty handler ms': '',
        'cold start ms': round(profiled.ms),
        '× empty': round(profiled.ms / run.baseline, 2),
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
      '--enable-source-maps × empty median': median(column('--enable-source-maps × empty')),
      'empty handler ms median': round(median(emptyRuns)),
      // What a function adds to Node's own start, which a faster or slower empty handler does not scale.
      'ms over the empty handler median': round(
        median(measured.map((row) => Number(row['cold start ms']) - Number(row['empty handler ms']))),
      ),
      'floor (DynamoDB client only) × empty': floor.ratio('floor'),
      'SDK from runtime KiB median': median(column('SDK from runtime KiB')),
      'SDK from runtime KiB max': Math.max(...column('SDK from runtime KiB')),
      'SDK from runtime × empty median': median(column('SDK from runtime × empty')),
      'SDK from runtime × empty max': Math.max(...column('SDK from runtime × empty')),
      '--enable-source-maps × empty max': Math.max(...column('--enable-source-maps × empty')),
      'stack formatted × empty median': median(column('stack formatted × empty')),
      '--enable-source-maps, stack formatted × empty median': median(
        column('--enable-source-maps, stack formatted × empty'),
      ),
      'aws-calls tracing KiB median': median(column('aws-calls tracing KiB')),
      'aws-calls tracing KiB max': Math.max(...column('aws-calls tracing KiB')),
      'aws-calls tracing × empty median': median(column('aws-calls tracing × empty')),
      'aws-calls tracing × empty max': Math.max(...column('aws-calls tracing × empty')),
      'no SDK KiB median': median(column('no SDK KiB')),
      'no SDK KiB max': Math.max(...column('no SDK KiB')),
      'no SDK × empty median': median(column('no SDK × empty')),
      'no SDK × empty max': Math.max(...column('no SDK × empty')),
      'load average (1 min) min': round(Math.min(...load), 2),
      'load average (1 min) max': round(Math.max(...load), 2),
    };
    return {
      name: 'cold-start',
      description: `What ships: each asset from cdk.out (the AWS SDK bundled, flightplan:tracing ${DEFAULT_TRACING}) with its template environment (each bundle maps its own stack traces, reading its source map only when it formats one), and with Node's --enable-source-maps instead, which reads and indexes the map at import, run from a directory with no node_modules; each of the two also with the first invocation's error formatted as a stack trace, as Lambda's runtime formats a failed invocation's (stack formatted). Beside it, built here from the same entry the way synth builds it: the SDK left to the runtime (loaded from a runtime-like node_modules of ${sdkPackages} packages: @aws-sdk/* and its dependencies only); the asset with flightplan:tracing aws-calls (Powertools Tracer and the X-Ray SDK); and, to show what the SDK itself costs, the asset with every SDK client package replaced by a stub that keeps only the SDK's SigV4 signer, SHA-256 and DynamoDB marshaller (no SDK) — measured, never shipped. A cold start is a whole Node ${process.version} process (spawn, import, first invocation, exit). Each function's variants run in ${RUNS} rounds, each round starting the empty handler, then every variant once, then the empty handler again; a row shows the medians and each ratio is to that row's own empty-handler median, so the machine's load shifts both alike. The floor is a handler that only creates the DynamoDB document client. Each function's second row is one cold start under --cpu-prof, with the five modules that took the most CPU (mapped through the asset's source map). Summary: ${Object.entries(
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
