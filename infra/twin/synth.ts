import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What the app's bundles and templates are built from; a change in any of them makes a synth stale. */
const SOURCES = ['functions', 'events', 'workflows', 'infra/aws', 'infra/system.ts', 'cdk.json', 'package-lock.json'];

function newestModification(root: string, path: string): number {
  const full = join(root, path);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(full)) newest = Math.max(newest, newestModification(root, join(path, entry)));
  return newest;
}

/** True when `outdir/manifest.json` is newer than every source the app is built from. */
export function isAssemblyFresh(root: string, outdir: string): boolean {
  const manifest = join(outdir, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const built = statSync(manifest).mtimeMs;
  return SOURCES.every((source) => newestModification(root, source) <= built);
}

/**
 * Synthesizes the CDK app into `outdir`, unless the assembly there is newer than the sources. It
 * is `npm run synth`, with no context of its own: the twin runs what CI synthesized (it plays the
 * template's JWT issuer), so `npm test` synthesizes once.
 */
export async function ensureCloudAssembly(options: {
  root: string;
  outdir: string;
  force?: boolean;
  log: (line: string) => void;
}): Promise<{ synthesized: boolean; seconds: number }> {
  const started = Date.now();
  if (!options.force && isAssemblyFresh(options.root, options.outdir)) return { synthesized: false, seconds: 0 };
  options.log(`synthesizing the cloud assembly into ${relative(options.root, options.outdir)} (cdk synth)…`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '--quiet', '-o', options.outdir], {
      cwd: options.root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`cdk synth failed with code ${String(code)}:\n${output.join('').slice(-4000)}`));
    });
  });
  return { synthesized: true, seconds: (Date.now() - started) / 1000 };
}
