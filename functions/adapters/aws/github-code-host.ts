import type { Octokit } from '@octokit/core';
import type { RepositoryFile } from '../../domain/service-repository-files.js';
import { PolicyViolationError } from '../../errors.js';
import type { CodeHost } from '../../ports/index.js';

const DEFAULT_BRANCH = 'main';

export function splitRepository(repository: string): { owner: string; repo: string } {
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) throw new Error(`A repository must be owner/name, got "${repository}"`);
  return { owner, repo };
}

const hasStatus = (error: unknown, status: number): boolean =>
  typeof error === 'object' && error !== null && 'status' in error && error.status === status;

/**
 * One commit with every file on top of `parentBranch` (Git Data API: tree, commit), then points
 * `branch` at it. Creating the branch when it is new; moving main only fast-forward.
 */
export async function commitFilesWithGitData(
  octokit: Octokit,
  target: { repository: string; branch: string; parentBranch: string; files: RepositoryFile[]; message: string },
): Promise<{ revision: string }> {
  const { owner, repo } = splitRepository(target.repository);
  const { data: parentRef } = await octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
    owner,
    repo,
    ref: `heads/${target.parentBranch}`,
  });
  const { data: parentCommit } = await octokit.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
    owner,
    repo,
    commit_sha: parentRef.object.sha,
  });
  const { data: tree } = await octokit.request('POST /repos/{owner}/{repo}/git/trees', {
    owner,
    repo,
    base_tree: parentCommit.tree.sha,
    tree: target.files.map((file) => ({
      path: file.path,
      mode: '100644' as const,
      type: 'blob' as const,
      content: file.content,
    })),
  });
  const { data: commit } = await octokit.request('POST /repos/{owner}/{repo}/git/commits', {
    owner,
    repo,
    message: target.message,
    tree: tree.sha,
    parents: [parentRef.object.sha],
  });
  const moveBranch = (force: boolean) =>
    octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
      owner,
      repo,
      ref: `heads/${target.branch}`,
      sha: commit.sha,
      force,
    });
  if (target.branch === target.parentBranch) {
    // Not forced: if someone pushed in between, GitHub refuses and the step is retried on the new head.
    await moveBranch(false);
  } else {
    try {
      await octokit.request('POST /repos/{owner}/{repo}/git/refs', {
        owner,
        repo,
        ref: `refs/heads/${target.branch}`,
        sha: commit.sha,
      });
    } catch (error) {
      if (!hasStatus(error, 422)) throw error;
      await moveBranch(true);
    }
  }
  return { revision: commit.sha };
}

/**
 * An Octokit, made on first use: a function that reaches GitHub on some paths only loads Octokit,
 * and signs no App JWT, on those paths alone.
 */
export type GithubClient = () => Promise<Octokit>;

/** GitHub through the Flightplan GitHub App: template repositories, commits and pull requests. */
export class GitHubCodeHost implements CodeHost {
  constructor(private readonly github: GithubClient) {}

  async createRepository(input: {
    template: string;
    repository: string;
    description: string;
    mark: string;
  }): Promise<{ url: string; created: boolean }> {
    const { owner, repo } = splitRepository(input.repository);
    const octokit = await this.github();
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner, repo });
      if (!(data.topics ?? []).includes(input.mark)) {
        throw new PolicyViolationError(
          `${input.repository} exists and Flightplan did not create it for this service (no ${input.mark} topic); it is left as it is`,
        );
      }
      return { url: data.html_url, created: false };
    } catch (error) {
      if (!hasStatus(error, 404)) throw error;
    }
    const template = splitRepository(input.template);
    const { data } = await octokit.request('POST /repos/{template_owner}/{template_repo}/generate', {
      template_owner: template.owner,
      template_repo: template.repo,
      owner,
      name: repo,
      description: input.description,
      private: true,
    });
    await octokit.request('PUT /repos/{owner}/{repo}/topics', { owner, repo, names: [input.mark] });
    return { url: data.html_url, created: true };
  }

  /** The commits API filtered by path, newest first: its first entry. An unknown commit throws, to be retried. */
  async lastChangeOf(repository: string, path: string, ref?: string): Promise<string | undefined> {
    const { owner, repo } = splitRepository(repository);
    const octokit = await this.github();
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits', {
        owner,
        repo,
        path,
        ...(ref ? { sha: ref } : {}),
        per_page: 1,
      });
      return data[0]?.sha;
    } catch (error) {
      // 409: a repository with no commits yet.
      if (hasStatus(error, 409)) return undefined;
      throw error;
    }
  }

  /** Contents API, raw media type: one request, no base64. */
  async readFile(repository: string, path: string, ref: string): Promise<string | undefined> {
    const { owner, repo } = splitRepository(repository);
    const octokit = await this.github();
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        owner,
        repo,
        path,
        ref,
        mediaType: { format: 'raw' },
      });
      return typeof data === 'string' ? data : undefined;
    } catch (error) {
      if (hasStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async commitFiles(repository: string, files: RepositoryFile[], message: string): Promise<{ revision: string }> {
    return commitFilesWithGitData(await this.github(), {
      repository,
      branch: DEFAULT_BRANCH,
      parentBranch: DEFAULT_BRANCH,
      files,
      message,
    });
  }

  async openPullRequest(input: {
    repository: string;
    branch: string;
    files: RepositoryFile[];
    title: string;
    body: string;
  }): Promise<{ number: number; url: string }> {
    const { owner, repo } = splitRepository(input.repository);
    const octokit = await this.github();
    const { data: open } = await octokit.request('GET /repos/{owner}/{repo}/pulls', {
      owner,
      repo,
      head: `${owner}:${input.branch}`,
      state: 'open',
    });
    const existing = open[0];
    if (existing) return { number: existing.number, url: existing.html_url };
    await commitFilesWithGitData(octokit, {
      repository: input.repository,
      branch: input.branch,
      parentBranch: DEFAULT_BRANCH,
      files: input.files,
      message: input.title,
    });
    const { data } = await octokit.request('POST /repos/{owner}/{repo}/pulls', {
      owner,
      repo,
      head: input.branch,
      base: DEFAULT_BRANCH,
      title: input.title,
      body: input.body,
    });
    return { number: data.number, url: data.html_url };
  }
}
