import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { REPOSITORY_ROOT } from '../infra/system.js';

const run = promisify(execFile);
const git = async (...args: string[]) => (await run('git', ['-C', REPOSITORY_ROOT, ...args])).stdout.trim();

export interface Checkout {
  /** The revision as given (`1d1eb59^`). */
  rev: string;
  /** The commit it names, abbreviated. */
  commit: string;
  dir: string;
}

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The packages a revision's package.json names that `installed` lacks, as `name@range`. */
export function missingDependencies(manifest: Manifest, installed: (name: string) => boolean): string[] {
  return Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter(([name]) => !installed(name))
    .map(([name, range]) => `${name}@${range}`);
}

/**
 * Runs `use` on a detached worktree of `rev`, with this checkout's node_modules (and built
 * console, when there is one): the baseline runs on the same dependencies, so what differs is its
 * source. The worktree is removed afterwards, whether `use` succeeded or not.
 */
export async function withCheckout<T>(rev: string, use: (checkout: Checkout) => Promise<T>): Promise<T> {
  const commit = await git('rev-parse', '--short', '--verify', `${rev}^{commit}`);
  const parent = await mkdtemp(join(tmpdir(), 'flightplan-baseline-'));
  const dir = join(parent, 'checkout');
  try {
    await git('worktree', 'add', '--detach', dir, commit);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
    const missing = missingDependencies(manifest, (name) =>
      existsSync(join(REPOSITORY_ROOT, 'node_modules', name, 'package.json')),
    );
    if (missing.length > 0)
      throw new Error(
        `${rev} (${commit}) depends on ${missing.join(', ')}, which this checkout's node_modules lacks; the baseline runs on this checkout's dependencies, so add them for the run: npm install --no-save ${missing.map((spec) => `'${spec}'`).join(' ')}`,
      );
    await symlink(await realpath(join(REPOSITORY_ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
    const consoleDist = join(REPOSITORY_ROOT, 'console', 'dist');
    if (existsSync(consoleDist)) {
      await mkdir(join(dir, 'console'), { recursive: true });
      await symlink(await realpath(consoleDist), join(dir, 'console', 'dist'), 'dir');
    }
    return await use({ rev, commit, dir });
  } finally {
    // `--force`: the checkout holds untracked symlinks. Prune in case `add` failed half-way.
    await git('worktree', 'remove', '--force', dir).catch(() => undefined);
    await git('worktree', 'prune');
    await rm(parent, { recursive: true, force: true, maxRetries: 5 });
  }
}

/**
 * Imports `path` from the checkout (tsx compiles it, as it does this checkout's files). The
 * checkout's `infra/system.ts` must say that its repository root is the checkout: its modules
 * import each other by relative path, so that shows they are its files and not this checkout's.
 */
export async function importFromCheckout(checkout: Checkout, path: string): Promise<Record<string, unknown>> {
  const system = (await import(pathToFileURL(join(checkout.dir, 'infra', 'system.ts')).href)) as {
    REPOSITORY_ROOT?: unknown;
  };
  const root = await realpath(checkout.dir);
  if (typeof system.REPOSITORY_ROOT !== 'string' || (await realpath(system.REPOSITORY_ROOT)) !== root)
    throw new Error(`${checkout.rev}'s modules load from ${String(system.REPOSITORY_ROOT)}, not from ${root}`);
  return (await import(pathToFileURL(join(checkout.dir, path)).href)) as Record<string, unknown>;
}
