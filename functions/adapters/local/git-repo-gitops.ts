import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { manifestPath, parseImageDigest, renderImageManifest } from '../../domain/gitops-manifest.js';
import type { GitOpsRepo, GitOpsTarget } from '../../ports/index.js';

const run = promisify(execFile);

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Flightplan',
  GIT_AUTHOR_EMAIL: 'flightplan@localhost',
  GIT_COMMITTER_NAME: 'Flightplan',
  GIT_COMMITTER_EMAIL: 'flightplan@localhost',
};

/**
 * The GitOps repository as a real git repository on disk: one commit per change, readable with
 * `git log`. Commits are serialized because git's index allows one writer at a time.
 */
export class GitRepoGitOps implements GitOpsRepo {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly directory: string) {}

  async init(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    if (!existsSync(join(this.directory, '.git'))) {
      await this.git('init', '--quiet', '--initial-branch=main');
      await writeFile(join(this.directory, 'README.md'), '# GitOps repository\n\nArgo CD deploys what is here. Flightplan commits image digests under apps/.\n');
      await this.git('add', 'README.md');
      await this.git('commit', '--quiet', '-m', 'Initialise the GitOps repository');
    }
  }

  async readImageDigest(target: GitOpsTarget): Promise<string | null> {
    try {
      return parseImageDigest(await readFile(join(this.directory, manifestPath(target.service, target.environment, target.region)), 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  commitImageDigest(target: GitOpsTarget & { imageRepository: string; digest: string; message: string }): Promise<{ revision: string }> {
    const commit = this.queue.then(async () => {
      const path = manifestPath(target.service, target.environment, target.region);
      await mkdir(dirname(join(this.directory, path)), { recursive: true });
      await writeFile(join(this.directory, path), renderImageManifest(target));
      await this.git('add', path);
      await this.git('commit', '--quiet', '--allow-empty', '-m', target.message);
      return { revision: (await this.git('rev-parse', 'HEAD')).trim() };
    });
    this.queue = commit.catch(() => undefined);
    return commit;
  }

  /** Resolves once every commit asked for so far is written. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /** Commits after `since` that touched `apps/`, oldest first, with the manifests they changed. */
  async changesSince(since: string | undefined): Promise<{ revision: string; paths: string[] }[]> {
    const range = since ? `${since}..HEAD` : 'HEAD';
    const log = await this.git('log', '--reverse', '--format=%H', '--name-only', range, '--', 'apps');
    const changes: { revision: string; paths: string[] }[] = [];
    for (const line of log.split('\n').map((text) => text.trim()).filter(Boolean)) {
      if (/^[0-9a-f]{40}$/u.test(line)) changes.push({ revision: line, paths: [] });
      else changes.at(-1)?.paths.push(line);
    }
    return changes;
  }

  async head(): Promise<string> {
    return (await this.git('rev-parse', 'HEAD')).trim();
  }

  private async git(...args: string[]): Promise<string> {
    // The ceiling keeps git from walking up into an enclosing repository (the data directory often lives inside a checkout).
    const env = { ...process.env, ...GIT_IDENTITY, GIT_CEILING_DIRECTORIES: resolve(this.directory, '..') };
    const { stdout } = await run('git', args, { cwd: this.directory, env });
    return stdout;
  }
}
