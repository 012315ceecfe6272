import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionBundling } from '../../infra/aws/control-plane-stack.js';
import { FUNCTION_ENTRIES_DIR, functionEntrySource, writeFunctionEntry } from '../../infra/aws/function-entries.js';
import type { PortName } from '../../functions/declaration.js';
import { FUNCTIONS, type FunctionId } from '../../infra/system.js';
import { bundledModules, clientsBeyondPorts, esbuildOptionsOf } from '../support/bundle-contents.js';
import { ensureCloudAssembly, readTemplate, synthesizedFunctions } from '../support/cloud-assembly.js';
import { ACCOUNT, REGION, invokeBundle } from '../support/bundle-invocation.js';

/**
 * Each shipped bundle holds only what its function uses: a client behind a port the function
 * does not declare is weight (and init time) on every cold start, and a sign that a module
 * imports more than its function needs.
 */
const shippedFunctions = () =>
  synthesizedFunctions(readTemplate(), { account: ACCOUNT, region: REGION, ref: (logicalId) => logicalId });

/** Imports each bundle in one Node process; what failed to import, by function. */
const IMPORT_ALL = `const failed = {};
for (const [name, entry] of JSON.parse(process.argv[1])) {
  try { await import(entry); } catch (error) { failed[name] = String(error.message).split('\\n')[0]; }
}
process.stdout.write(JSON.stringify(failed));`;

/**
 * Imports each bundle in one Node process with every read of two of `process`'s getters counted:
 * the bundles whose import read one (Node builds a built-in's wrapper once, so the first such).
 * `allowedNodeEnvironmentFlags` builds a set of every flag Node knows and `stdin` creates the
 * stream of file descriptor 0; no function needs either.
 */
const COSTLY_PROCESS_READS = `let reads = 0;
for (const key of ['allowedNodeEnvironmentFlags', 'stdin']) {
  const { get } = Object.getOwnPropertyDescriptor(process, key);
  Object.defineProperty(process, key, { configurable: true, enumerable: true, get() { reads += 1; return get.call(this); } });
}
const readers = [];
for (const [name, entry] of JSON.parse(process.argv[1])) {
  const before = reads;
  await import(entry);
  if (reads > before) readers.push(name);
}
process.stdout.write(JSON.stringify(readers));`;

/** Imports a bundle and prints the stack of what its import threw. */
const IMPORT_STACK = `import(process.argv[1]).then(() => process.stdout.write('nothing thrown'), (error) => process.stdout.write(String(error.stack)));`;

/**
 * Imports a bundle with every read of a `.map` file counted (the public fs function, which the
 * bundle's import of it sees once the built-in's exports are synced), then formats stacks.
 */
const COUNT_MAP_READS = `import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const [entry, exported] = JSON.parse(process.argv[1]);
let reads = 0;
const readFileSync = fs.readFileSync;
fs.readFileSync = (path, ...rest) => { if (String(path).endsWith('.map')) reads += 1; return readFileSync(path, ...rest); };
syncBuiltinESMExports();
const module = await import(entry);
const counts = { atImport: reads };
void new Error('outside').stack;
counts.afterAStackOutsideTheBundle = reads;
const stackOfInvocation = () => Promise.resolve().then(() => module[exported]({}, {})).then(() => '', (error) => error.stack);
await stackOfInvocation();
counts.afterAStackThroughIt = reads;
await stackOfInvocation();
counts.afterTwo = reads;
process.stdout.write(JSON.stringify(counts));`;

/**
 * Builds an entry as synth builds the functions, then runs `node <args> <bundle>` with Node's
 * --enable-source-maps and without it: the output of each, in that order.
 */
async function bothWays(entry: string, args: readonly string[]): Promise<[string, string]> {
  const directory = await mkdtemp(join(tmpdir(), 'flightplan-stacks-'));
  try {
    const outfile = join(directory, 'index.mjs');
    await build({ ...esbuildOptionsOf(functionBundling('invocations')), entryPoints: [entry], outfile });
    const outputWith = async (nodeOptions: string[]) =>
      (
        await promisify(execFile)(process.execPath, [...nodeOptions, ...args, outfile], {
          env: { PATH: process.env['PATH'] ?? '' },
        })
      ).stdout;
    return await Promise.all([outputWith(['--enable-source-maps']), outputWith([])]);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Marks a case that runs with the shipped function's whole environment. */
const fullEnvironment = {};

const TRACER_MODULE = /node_modules\/(@aws-lambda-powertools\/tracer|aws-xray-sdk-core)\//u;

const shippedFunction = (functionId: FunctionId) => {
  const fn = shippedFunctions().find((candidate) => candidate.functionId === functionId);
  if (!fn) throw new Error(`${functionId} is not in cdk.out`);
  return fn;
};

/**
 * The AWS-call subsegments ("DynamoDB GetItem") that a build of acquireDeploymentLock sends the
 * X-Ray daemon in one invocation, run with the shipped function's environment, what Lambda's
 * active tracing adds to it, and a daemon on a local UDP port. DynamoDB refuses the connection, so
 * the call fails after it has been traced.
 */
async function awsCallSubsegments(entry: string): Promise<string[]> {
  const daemon = createSocket('udp4');
  const subsegments: string[] = [];
  daemon.on('message', (message) => {
    // A datagram is the daemon protocol's header line, then one segment document.
    const [, document = '{}'] = message.toString('utf8').split('\n');
    const segment = JSON.parse(document) as { name?: string; aws?: { operation?: string } };
    subsegments.push(`${segment.name ?? ''} ${segment.aws?.operation ?? ''}`);
  });
  try {
    await new Promise<void>((bound) => daemon.bind(0, '127.0.0.1', bound));
    const { outcome } = await invokeBundle(
      { ...shippedFunction('acquireDeploymentLock'), entry },
      { deploymentId: 'd-1' },
      {
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: tmpdir(),
        _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
        AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      },
      { endWhenIdle: true },
    );
    expect(outcome.stack).toMatch(/ECONNREFUSED/u);
    // The process has ended, so every datagram it sent is already queued on this socket, and the
    // poll that reported the exit reported the socket readable too.
    await new Promise((polled) => setImmediate(polled));
    return subsegments;
  } finally {
    daemon.close();
  }
}

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

  it("read none of process's costly getters at import: no node:process wrapper, which reads every property", async () => {
    const bundles = shippedFunctions().map((fn) => [fn.functionId, resolve(fn.entry)]);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', COSTLY_PROCESS_READS, JSON.stringify(bundles)],
      { env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1' } },
    );
    expect(JSON.parse(stdout)).toEqual([]);
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

  it("build only the schemas their function uses: a module of schemas is in the bundles of the functions it serves and no other's", () => {
    // zod builds every schema a module defines when the module loads, and esbuild cannot drop
    // the ones a bundle never uses, so a module is the unit a cold start pays for.
    const declares = (port: PortName) => (id: FunctionId) =>
      (FUNCTIONS[id].module.declaration.ports as readonly PortName[]).includes(port);
    const servedBy: Record<string, (functionId: FunctionId) => boolean> = {
      'functions/domain/provisioning.ts': declares('provisioning'),
      'functions/approval/task-inputs.ts': (id) => FUNCTIONS[id].workflow === 'approval',
      'functions/domain/freeze-window.ts': declares('freezeWindows'),
      'functions/domain/accounts.ts': declares('selfService'),
      'functions/http/portal-schemas.ts': (id) => id === 'portalApi',
    };
    const strays = Object.fromEntries(
      shippedFunctions().flatMap((fn) => {
        const functionId = fn.functionId as FunctionId;
        const modules = bundledModules(fn.entry);
        const stray = Object.entries(servedBy).flatMap(([module, serves]) =>
          !serves(functionId) && modules.some((bundled) => bundled.endsWith(module)) ? [module] : [],
        );
        return stray.length > 0 ? [[functionId, stray]] : [];
      }),
    );
    expect(strays).toEqual({});
  });

  it('evaluate the SDK once, at module scope: no bundle holds what the SDK would load through a dynamic import', () => {
    // A dynamic import makes esbuild defer its target, and every module the target shares with
    // the rest of the bundle, into a lazy initializer, which V8 parses twice at each cold start:
    // the SDK's event-stream serde, and credential-providers' environment provider and STS.
    const lazy =
      /node_modules\/(@smithy\/core\/dist-(?:es|cjs)\/submodules\/event-streams|@aws-sdk\/credential-providers)\//u;
    const deferred = Object.fromEntries(
      shippedFunctions().flatMap((fn) => {
        const packages = new Set(bundledModules(fn.entry).flatMap((module) => lazy.exec(module)?.[1] ?? []));
        return packages.size > 0 ? [[fn.functionId, [...packages]]] : [];
      }),
    );
    expect(deferred).toEqual({});
  });

  it('leave the YAML library out of the portal API, which reads and writes no repository files', () => {
    const portalApi = shippedFunctions().find((fn) => fn.functionId === 'portalApi');
    expect(portalApi).toBeDefined();
    expect(bundledModules(portalApi?.entry ?? '').filter((module) => /node_modules\/yaml\//u.test(module))).toEqual([]);
  });

  it("load yaml's ES module build, not its CommonJS one, which every cold start evaluated module by module", () => {
    // esbuild picks a package's "node" export, for yaml its CommonJS build: 60 modules, each in a
    // wrapper that runs when the bundle loads. Its ES module build is the same code, scope-hoisted.
    const withCommonJs = shippedFunctions().filter((fn) =>
      bundledModules(fn.entry).some((module) => /node_modules\/yaml\/dist\//u.test(module)),
    );
    const withYaml = shippedFunctions().filter((fn) =>
      bundledModules(fn.entry).some((module) => /node_modules\/yaml\/browser\/dist\//u.test(module)),
    );
    expect(withCommonJs.map((fn) => fn.functionId)).toEqual([]);
    expect(withYaml.map((fn) => fn.functionId)).toContain('deployWave');
  });

  it("leave out @octokit/rest's table of every GitHub endpoint: the GitHub adapters call their routes through @octokit/core", () => {
    const withTable = shippedFunctions().filter((fn) =>
      bundledModules(fn.entry).some((module) =>
        /node_modules\/@octokit\/(rest|plugin-rest-endpoint-methods)\//u.test(module),
      ),
    );
    expect(withTable.map((fn) => fn.functionId)).toEqual([]);
  });

  it('ship source maps without the sources: no map carries sourcesContent, which Node would read on every cold start', () => {
    const withSources = shippedFunctions().filter((fn) => {
      const map = JSON.parse(readFileSync(`${fn.entry}.map`, 'utf8')) as { sourcesContent?: unknown[] };
      return (map.sourcesContent ?? []).length > 0;
    });
    expect(withSources.map((fn) => fn.functionId)).toEqual([]);
  });

  it('name our sources in a stack trace without --enable-source-maps, which reads the whole map at import', async () => {
    const fn = shippedFunction('acquireDeploymentLock');
    expect(fn.environment['NODE_OPTIONS']).toBeUndefined();
    // Without its table name the function fails building its ports, inside functions/config.ts.
    const { outcome } = await invokeBundle({ ...fn, environment: {} }, {});
    expect(outcome.stack).toMatch(/^MissingConfigurationError: .*FLIGHTPLAN_TABLE_NAME/u);
    expect(outcome.stack).toMatch(/\(\S*\/functions\/config\.ts:\d+:\d+\)/u);
  });

  it("write every kind of stack as Node's --enable-source-maps does, in a bundle built as the functions are", async () => {
    const [nodeOutput, bundleOutput] = await bothWays(join(import.meta.dirname, '..', 'support', 'stack-cases.ts'), []);
    const withNode = JSON.parse(nodeOutput) as Record<string, string>;
    const withBundle = JSON.parse(bundleOutput) as Record<string, string>;
    expect(Object.keys(withNode).length).toBeGreaterThan(20);
    expect(
      Object.values(withNode).filter((stack) => stack.includes('/test/support/stack-cases.ts:')).length,
    ).toBeGreaterThan(15);
    expect(withBundle).toEqual(withNode);
  });

  it("map a stack thrown while a Lambda entry's modules load, as Node's --enable-source-maps does", async () => {
    // A generated entry with one more module after the stack mapper, one that throws as it loads.
    const [header, mapper, ...rest] = functionEntrySource('acquireDeploymentLock').split('\n');
    expect(mapper).toMatch(/^import '.*\/functions\/adapters\/aws\/map-stacks\.js';$/u);
    const name = `throws-while-loading-${process.pid}`;
    const entry = join(FUNCTION_ENTRIES_DIR, `${name}.ts`);
    const thrower = join(FUNCTION_ENTRIES_DIR, `${name}-module.ts`);
    try {
      await writeFile(thrower, "function loadBadly(): never {\n  throw new Error('while loading');\n}\nloadBadly();\n");
      await writeFile(entry, [header, mapper, `import './${name}-module.js';`, ...rest].join('\n'));
      const [withNode, withBundle] = await bothWays(entry, ['--input-type=module', '-e', IMPORT_STACK]);
      expect(withNode).toMatch(
        new RegExp(`^Error: while loading\\n    at loadBadly \\(\\S*/${name}-module\\.ts:2:9\\)`, 'u'),
      );
      expect(withBundle).toBe(withNode);
    } finally {
      await Promise.all([rm(entry, { force: true }), rm(thrower, { force: true })]);
    }
  });

  it('read the source map only when a stack through the bundle is formatted, never at import', async () => {
    const fn = shippedFunction('acquireDeploymentLock');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', COUNT_MAP_READS, JSON.stringify([resolve(fn.entry), fn.handler])],
      { env: { PATH: process.env['PATH'] ?? '', AWS_REGION: 'us-east-1' } },
    );
    expect(JSON.parse(stdout)).toEqual({
      atImport: 0,
      afterAStackOutsideTheBundle: 0,
      afterAStackThroughIt: 1,
      afterTwo: 1,
    });
  });

  it.each([
    ['a missing setting, thrown while the ports are built', {}, {}, true],
    ['a refused input, thrown by zod and rethrown through async middleware', fullEnvironment, {}, true],
    ['a refused connection, whose stack has no frame in the bundle', fullEnvironment, { deploymentId: 'd-1' }, false],
  ])("write a stack as Node's --enable-source-maps does: %s", async (_, environment, event, throughOurSources) => {
    const fn = shippedFunction('acquireDeploymentLock');
    const shipped = environment === fullEnvironment ? fn.environment : {};
    const withNode = await invokeBundle(
      { ...fn, environment: { ...shipped, NODE_OPTIONS: '--enable-source-maps' } },
      event,
    );
    const withBundle = await invokeBundle({ ...fn, environment: shipped }, event);
    const frames = (withNode.outcome.stack ?? '').split('\n').filter((line) => line.startsWith('    at '));
    expect(frames.length).toBeGreaterThan(0);
    if (throughOurSources) expect(frames.some((frame) => frame.includes('/functions/'))).toBe(true);
    else expect(frames.every((frame) => /[( ]node:[\w/]+:\d+:\d+\)?$/u.test(frame))).toBe(true);
    expect(withBundle.outcome.stack).toBe(withNode.outcome.stack);
  });

  it('leave Powertools Tracer and the X-Ray SDK out by default: the X-Ray SDK gets no release after February 2027', () => {
    const traced = shippedFunctions().filter((fn) =>
      bundledModules(fn.entry).some((module) => TRACER_MODULE.test(module)),
    );
    expect(traced.map((fn) => fn.functionId)).toEqual([]);
  });

  it('send the X-Ray daemon nothing by default: Lambda records each invocation, no function carries a tracer', async () => {
    expect(await awsCallSubsegments(shippedFunction('acquireDeploymentLock').entry)).toEqual([]);
  });

  it('send the X-Ray daemon a subsegment for each AWS call with flightplan:tracing aws-calls', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'flightplan-traced-'));
    try {
      const outfile = join(directory, 'index.mjs');
      await build({
        ...esbuildOptionsOf(functionBundling('aws-calls')),
        entryPoints: [writeFunctionEntry('acquireDeploymentLock')],
        outfile,
      });
      expect(await awsCallSubsegments(outfile)).toEqual(['DynamoDB GetItem']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
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
    const tracerModules = Object.keys(metafile.inputs).filter((path) => TRACER_MODULE.test(path));
    expect(tracerModules.length > 0).toBe(traced);
  });
});
