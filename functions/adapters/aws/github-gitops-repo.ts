import { manifestPath, parseImageDigest, renderImageManifest } from '../../domain/gitops-manifest.js';
import type { RepositoryFile } from '../../domain/service-repository-files.js';
import type { GitOpsRepo, GitOpsTarget } from '../../ports/index.js';
import { commitFilesWithGitData, splitRepository, type GithubClient } from './github-code-host.js';

/** The GitOps repository on GitHub, written through a GitHub App installation (Octokit). */
export class GitHubGitOpsRepo implements GitOpsRepo {
  private readonly owner: string;
  private readonly repo: string;

  constructor(
    private readonly github: GithubClient,
    private readonly repository: string,
    private readonly branch: string,
  ) {
    ({ owner: this.owner, repo: this.repo } = splitRepository(repository));
  }

  async readImageDigest(target: GitOpsTarget): Promise<string | null> {
    const file = await this.readFile(manifestPath(target.service, target.environment, target.region));
    return file ? parseImageDigest(file.content) : null;
  }

  async commitImageDigest(
    target: GitOpsTarget & { imageRepository: string; digest: string; message: string },
  ): Promise<{ revision: string }> {
    const path = manifestPath(target.service, target.environment, target.region);
    const existing = await this.readFile(path);
    const octokit = await this.github();
    // The blob sha makes GitHub refuse the write if someone changed the file since we read it.
    const { data } = await octokit.request('PUT /repos/{owner}/{repo}/contents/{path}', {
      owner: this.owner,
      repo: this.repo,
      branch: this.branch,
      path,
      message: target.message,
      content: Buffer.from(renderImageManifest(target)).toString('base64'),
      ...(existing ? { sha: existing.sha } : {}),
    });
    const revision = data.commit.sha;
    if (!revision) throw new Error(`GitHub did not return a commit for ${path}`);
    return { revision };
  }

  async commitFiles(files: RepositoryFile[], message: string): Promise<{ revision: string }> {
    return commitFilesWithGitData(await this.github(), {
      repository: this.repository,
      branch: this.branch,
      parentBranch: this.branch,
      files,
      message,
    });
  }

  private async readFile(path: string): Promise<{ content: string; sha: string } | undefined> {
    const octokit = await this.github();
    try {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
        owner: this.owner,
        repo: this.repo,
        path,
        ref: this.branch,
      });
      if (Array.isArray(data) || data.type !== 'file')
        throw new Error(`${path} in ${this.owner}/${this.repo} is not a file`);
      return { content: Buffer.from(data.content, 'base64').toString('utf8'), sha: data.sha };
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'status' in error && error.status === 404) return undefined;
      throw error;
    }
  }
}
