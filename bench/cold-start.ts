import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FUNCTIONS, entryOf, type FunctionId } from '../infra/system.js';
import { median, round, type BenchResult } from './support.js';

const run = promisify(execFile);
const RUNS = 5;

/** What the CDK bundles: ESM, minified, the AWS SDK included and tree-shaken. */
async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return (await stat(outfile)).size;
}

/**
 * A fresh Node process loads the bundle and runs its first invocation with an event every handler
 * refuses before any network call (validation, signature or token checks), so the number is the
 * cost of loading and initialising the function, not of AWS.
 */
async function coldStartMs(file: string): Promise<number> {
  const script = `const started = performance.now();
const { handler } = await import(${JSON.stringify(file)});
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 3000 };
try { await handler({ headers: {}, requestContext: {}, body: '' }, context); } catch {}
process.stdout.write(String(performance.now() - started));`;
  const env = { ...process.env, FLIGHTPLAN_TABLE_NAME: 't', FLIGHTPLAN_IDEMPOTENCY_TABLE_NAME: 'i', FLIGHTPLAN_BUS_NAME: 'b', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', FLIGHTPLAN_DEPLOYMENT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:x', FLIGHTPLAN_GITOPS_REPOSITORY: 'a/b', FLIGHTPLAN_GITHUB_APP_ID: '1', FLIGHTPLAN_GITHUB_APP_INSTALLATION_ID: '1' };
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
  return Number(stdout);
}

export async function coldStartBench(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'flightplan-bundles-'));
  try {
    const emptyEntry = join(dir, 'empty.ts');
    await writeFile(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
    const targets: [string, string][] = [['(baseline) empty handler', emptyEntry], ...(Object.keys(FUNCTIONS) as FunctionId[]).map((id): [string, string] => [id, entryOf(id)])];
    const rows: BenchResult['rows'] = [];
    for (const [name, entry] of targets) {
      const outfile = join(dir, `${name.replace(/\W/gu, '_')}.mjs`);
      const bytes = await bundle(entry, outfile);
      const times: number[] = [];
      for (let attempt = 0; attempt < RUNS; attempt += 1) times.push(await coldStartMs(outfile));
      rows.push({ function: name, 'bundle KiB': round(bytes / 1024), 'cold start ms (median of 5)': round(median(times)) });
    }
    return { name: 'cold-start', description: `Bundle size (esbuild, minified, SDK bundled) and load + first invocation in a fresh Node ${process.version} process; Lambda adds its own init on top`, rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
