import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { manifestPath, parseImageDigest, renderImageManifest } from '../../domain/gitops-manifest.js';
import type { RepositoryFile } from '../../domain/service-repository-files.js';
import type { GitOpsRepo, GitOpsTarget } from '../../ports/index.js';
import { LocalGitRepository } from './local-git.js';

/** The GitOps repository as a real git repository on disk: one commit per change, readable with `git log`. */
export class GitRepoGitOps implements GitOpsRepo {
  private readonly repository: LocalGitRepository;

  constructor(readonly directory: string) {
    this.repository = new LocalGitRepository(directory);
  }

  init(): Promise<void> {
    return this.repository.init(
      [
        {
          path: 'README.md',
          content:
            '# GitOps repository\n\nArgo CD deploys what is here. Flightplan commits image digests under apps/.\n',
        },
      ],
      'Initialise the GitOps repository',
    );
  }

  async readImageDigest(target: GitOpsTarget): Promise<string | null> {
    try {
      return parseImageDigest(
        await readFile(join(this.directory, manifestPath(target.service, target.environment, target.region)), 'utf8'),
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  commitImageDigest(
    target: GitOpsTarget & { imageRepository: string; digest: string; message: string },
  ): Promise<{ revision: string }> {
    return this.repository.commitFiles(
      [{ path: manifestPath(target.service, target.environment, target.region), content: renderImageManifest(target) }],
      target.message,
    );
  }

  commitFiles(files: RepositoryFile[], message: string): Promise<{ revision: string }> {
    return this.repository.commitFiles(files, message);
  }

  /** Resolves once every commit asked for so far is written. */
  idle(): Promise<void> {
    return this.repository.idle();
  }

  /** Commits after `since` that touched `apps/`, oldest first, with the manifests they changed. */
  async changesSince(since: string | undefined): Promise<{ revision: string; paths: string[] }[]> {
    const range = since ? `${since}..HEAD` : 'HEAD';
    const log = await this.repository.git('log', '--reverse', '--format=%H', '--name-only', range, '--', 'apps');
    const changes: { revision: string; paths: string[] }[] = [];
    for (const line of log
      .split('\n')
      .map((text) => text.trim())
      .filter(Boolean)) {
      if (/^[0-9a-f]{40}$/u.test(line)) changes.push({ revision: line, paths: [] });
      else changes.at(-1)?.paths.push(line);
    }
    return changes;
  }

  head(): Promise<string> {
    return this.repository.head();
  }
}
