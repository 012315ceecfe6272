import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { RepositoryFile } from '../../domain/service-repository-files.js';

const run = promisify(execFile);

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Flightplan',
  GIT_AUTHOR_EMAIL: 'flightplan@localhost',
  GIT_COMMITTER_NAME: 'Flightplan',
  GIT_COMMITTER_EMAIL: 'flightplan@localhost',
};

/**
 * A real git repository on disk, with `main` checked out. Every change is serialized, because
 * git's index allows one writer at a time; readable with `git log` like any repository.
 */
export class LocalGitRepository {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly directory: string) {}

  exists(): boolean {
    return existsSync(join(this.directory, '.git'));
  }

  /** Creates the repository with a first commit of `files`, unless it exists. */
  async init(files: RepositoryFile[], message: string): Promise<void> {
    if (this.exists()) return;
    await mkdir(this.directory, { recursive: true });
    await this.git('init', '--quiet', '--initial-branch=main');
    await this.commitFiles(files, message);
  }

  /** Runs `work` after every change asked for before it. */
  serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** One commit on main with every file. */
  commitFiles(files: RepositoryFile[], message: string): Promise<{ revision: string }> {
    return this.serialized(async () => {
      for (const file of files) {
        await mkdir(dirname(join(this.directory, file.path)), { recursive: true });
        await writeFile(join(this.directory, file.path), file.content);
      }
      await this.git('add', '--', ...files.map((file) => file.path));
      await this.git('commit', '--quiet', '--allow-empty', '-m', message);
      return { revision: await this.head() };
    });
  }

  /**
   * One commit on main that writes each file with content and deletes each file whose content is
   * null, as a person pushing would; says which paths were added, modified and removed.
   */
  commitChanges(
    changes: { path: string; content: string | null }[],
    message: string,
    author?: { name: string; email: string },
  ): Promise<{ before: string | null; revision: string; added: string[]; modified: string[]; removed: string[] }> {
    return this.serialized(async () => {
      const before = this.exists() ? await this.head().catch(() => null) : null;
      if (!this.exists()) {
        await mkdir(this.directory, { recursive: true });
        await this.git('init', '--quiet', '--initial-branch=main');
      }
      for (const change of changes) {
        const target = join(this.directory, change.path);
        if (change.content === null) await rm(target, { force: true });
        else {
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, change.content);
        }
      }
      await this.git('add', '--all');
      const env: Record<string, string> = author
        ? { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email }
        : {};
      await this.git({ env }, 'commit', '--quiet', '--allow-empty', '-m', message);
      const revision = await this.head();
      const status = before
        ? await this.git('diff', '--name-status', '--no-renames', before, revision)
        : await this.git('show', '--name-status', '--no-renames', '--format=', revision);
      const paths = (letter: string) =>
        status
          .split('\n')
          .filter((line) => line.startsWith(`${letter}\t`))
          .map((line) => line.slice(2));
      return { before, revision, added: paths('A'), modified: paths('M'), removed: paths('D') };
    });
  }

  /** A file's content at `ref`; undefined when it is not there. */
  async readFile(path: string, ref: string): Promise<string | undefined> {
    if (!this.exists()) return undefined;
    try {
      return await this.git('show', `${ref}:${path}`);
    } catch {
      return undefined;
    }
  }

  /** The newest commit at `ref` (main, the default branch, without one) that added, changed or removed `path`. */
  async lastChangeOf(path: string, ref = 'main'): Promise<string | undefined> {
    if (!this.exists()) return undefined;
    return (await this.git('log', '-1', '--format=%H', ref, '--', path)).trim() || undefined;
  }

  /**
   * One commit with every file on `branch`, made from main without touching the working tree
   * (a private index), so main stays checked out and clean.
   */
  commitToBranch(branch: string, files: RepositoryFile[], message: string): Promise<{ revision: string }> {
    return this.serialized(async () => {
      const index = { GIT_INDEX_FILE: join(this.directory, '.git', `index-${branch.replace(/\W/gu, '_')}`) };
      await this.git({ env: index }, 'read-tree', 'main');
      for (const file of files) {
        const blob = (await this.git({ input: file.content }, 'hash-object', '-w', '--stdin')).trim();
        await this.git({ env: index }, 'update-index', '--add', '--cacheinfo', `100644,${blob},${file.path}`);
      }
      const tree = (await this.git({ env: index }, 'write-tree')).trim();
      const commit = (await this.git('commit-tree', tree, '-p', 'main', '-m', message)).trim();
      await this.git('update-ref', `refs/heads/${branch}`, commit);
      return { revision: commit };
    });
  }

  /** Merges `branch` into main with a merge commit, as GitHub's merge button does. */
  merge(branch: string, message: string): Promise<{ revision: string }> {
    return this.serialized(async () => {
      await this.git('merge', '--quiet', '--no-ff', '-m', message, branch);
      return { revision: await this.head() };
    });
  }

  /** Resolves once every change asked for so far is written. */
  async idle(): Promise<void> {
    await this.queue;
  }

  async head(): Promise<string> {
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  async git(...args: (string | { env?: Record<string, string>; input?: string })[]): Promise<string> {
    const options = typeof args[0] === 'object' ? args[0] : {};
    const gitArgs = args.filter((arg): arg is string => typeof arg === 'string');
    // The ceiling keeps git from walking up into an enclosing repository (the data directory often lives inside a checkout).
    const env = {
      ...process.env,
      ...GIT_IDENTITY,
      GIT_CEILING_DIRECTORIES: resolve(this.directory, '..'),
      ...options.env,
    };
    if (options.input === undefined) return (await run('git', gitArgs, { cwd: this.directory, env })).stdout;
    return new Promise((resolveRun, reject) => {
      const child = execFile('git', gitArgs, { cwd: this.directory, env }, (error, stdout) => {
        if (error) reject(new Error(`git ${gitArgs.join(' ')} failed: ${error.message}`, { cause: error }));
        else resolveRun(stdout);
      });
      child.stdin?.end(options.input);
    });
  }
}
