import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from '../../zod.js';
import type { RepositoryFile } from '../../domain/service-repository-files.js';
import { ConflictError, NotFoundError, PolicyViolationError } from '../../errors.js';
import type { CodeHost, GithubDeployments } from '../../ports/index.js';
import { LocalGitRepository } from './local-git.js';

export interface SimulatedGithubDeployment {
  id: number;
  repository: string;
  ref: string;
  environment: string;
  statuses: { state: string; description: string; at: string }[];
}

const simulatedPullRequestSchema = z.object({
  number: z.number().check(z.int(), z.positive()),
  repository: z.string(),
  branch: z.string(),
  title: z.string(),
  body: z.string(),
  url: z.string(),
  state: z.enum(['open', 'merged', 'closed']),
  headSha: z.string(),
  mergeCommitSha: z.optional(z.string()),
  closedBy: z.optional(z.string()),
  openedAt: z.string(),
});
export type SimulatedPullRequest = z.infer<typeof simulatedPullRequestSchema>;

/**
 * GitHub, simulated: repositories are real git repositories under `root` (one per owner/name,
 * created from the platform's templates), pull requests are recorded in `pull-requests.json`
 * beside them and merged with a real merge commit, and GitHub Deployments are recorded in memory.
 */
export class GithubSimulator implements GithubDeployments, CodeHost {
  readonly deployments: SimulatedGithubDeployment[] = [];
  private pullRequests: SimulatedPullRequest[] = [];
  private readonly repositories = new Map<string, LocalGitRepository>();

  constructor(private readonly root: string) {}

  /** Loads the recorded pull requests and creates the repositories that must exist from the start. */
  async open(repositories: { repository: string; readme: string }[]): Promise<void> {
    await mkdir(this.root, { recursive: true });
    if (existsSync(this.pullRequestsFile))
      this.pullRequests = z
        .array(simulatedPullRequestSchema)
        .parse(JSON.parse(await readFile(this.pullRequestsFile, 'utf8')));
    for (const { repository, readme } of repositories)
      await this.repository(repository).init([{ path: 'README.md', content: readme }], 'Initial commit');
  }

  setStatus(notice: Parameters<GithubDeployments['setStatus']>[0]): Promise<void> {
    let deployment = this.deployments.find(
      (candidate) =>
        candidate.repository === notice.repository &&
        candidate.ref === notice.ref &&
        candidate.environment === notice.environment,
    );
    if (!deployment) {
      deployment = {
        id: this.deployments.length + 1,
        repository: notice.repository,
        ref: notice.ref,
        environment: notice.environment,
        statuses: [],
      };
      this.deployments.push(deployment);
    }
    deployment.statuses.push({ state: notice.state, description: notice.description, at: new Date().toISOString() });
    return Promise.resolve();
  }

  async createRepository(input: {
    template: string;
    repository: string;
    description: string;
    mark: string;
  }): Promise<{ url: string; created: boolean }> {
    const repository = this.repository(input.repository);
    const url = this.urlOf(input.repository);
    if (repository.exists()) {
      if (!(await this.topicsOf(input.repository)).includes(input.mark)) {
        throw new PolicyViolationError(
          `${input.repository} exists and Flightplan did not create it for this service (no ${input.mark} topic); it is left as it is`,
        );
      }
      return { url, created: false };
    }
    await repository.init(
      templateFiles(input.template, input.repository, input.description),
      `Create ${input.repository} from ${input.template}`,
    );
    await this.setTopics(input.repository, [input.mark]);
    return { url, created: true };
  }

  /** A repository's topics, as GitHub's `repos.get` returns them. */
  async topicsOf(repositoryName: string): Promise<string[]> {
    const file = this.topicsFile(repositoryName);
    return existsSync(file) ? z.array(z.string()).parse(JSON.parse(await readFile(file, 'utf8'))) : [];
  }

  /** Replaces a repository's topics, as GitHub's `PUT /repos/{owner}/{repo}/topics` does. */
  async setTopics(repositoryName: string, names: string[]): Promise<void> {
    await writeFile(this.topicsFile(repositoryName), `${JSON.stringify(names)}\n`);
  }

  // Beside the repository's git data, where no commit sees it.
  private topicsFile(repositoryName: string): string {
    return join(this.repository(repositoryName).directory, '.git', 'flightplan-topics.json');
  }

  commitFiles(repositoryName: string, files: RepositoryFile[], message: string): Promise<{ revision: string }> {
    return this.existing(repositoryName).commitFiles(files, message);
  }

  readFile(repositoryName: string, path: string, ref: string): Promise<string | undefined> {
    return this.repository(repositoryName).readFile(path, ref);
  }

  lastChangeOf(repositoryName: string, path: string, ref?: string): Promise<string | undefined> {
    return this.repository(repositoryName).lastChangeOf(path, ref);
  }

  /** A person's push to main: creates the repository when it is new; null content deletes the file. */
  push(repositoryName: string, changes: { path: string; content: string | null }[], message: string, author: string) {
    return this.repository(repositoryName).commitChanges(changes, message, {
      name: author,
      email: `${author}@users.noreply.github.com`,
    });
  }

  async openPullRequest(input: {
    repository: string;
    branch: string;
    files: RepositoryFile[];
    title: string;
    body: string;
  }): Promise<{ number: number; url: string }> {
    const open = this.pullRequests.find(
      (candidate) =>
        candidate.repository === input.repository && candidate.branch === input.branch && candidate.state === 'open',
    );
    if (open) return { number: open.number, url: open.url };
    const { revision } = await this.existing(input.repository).commitToBranch(input.branch, input.files, input.title);
    const pullRequest = await this.recordPullRequest({
      repository: input.repository,
      branch: input.branch,
      title: input.title,
      body: input.body,
      headSha: revision,
    });
    return { number: pullRequest.number, url: pullRequest.url };
  }

  /** Opens a pull request for a branch that is already pushed (what GitHub's `POST /pulls` does). */
  async recordPullRequest(input: {
    repository: string;
    branch: string;
    title: string;
    body: string;
    headSha: string;
  }): Promise<SimulatedPullRequest> {
    const number =
      Math.max(
        0,
        ...this.pullRequests
          .filter((candidate) => candidate.repository === input.repository)
          .map((candidate) => candidate.number),
      ) + 1;
    const pullRequest: SimulatedPullRequest = {
      number,
      repository: input.repository,
      branch: input.branch,
      title: input.title,
      body: input.body,
      url: `${this.urlOf(input.repository)}/pull/${number}`,
      state: 'open',
      headSha: input.headSha,
      openedAt: new Date().toISOString(),
    };
    this.pullRequests.push(pullRequest);
    await this.savePullRequests();
    return pullRequest;
  }

  listPullRequests(
    filter: { repository?: string; state?: SimulatedPullRequest['state'] } = {},
  ): SimulatedPullRequest[] {
    return this.pullRequests.filter(
      (candidate) =>
        (!filter.repository || candidate.repository === filter.repository) &&
        (!filter.state || candidate.state === filter.state),
    );
  }

  /** Merges an open pull request with a merge commit on main. */
  async merge(repositoryName: string, number: number, by: string): Promise<SimulatedPullRequest> {
    const pullRequest = this.openPullRequestNumbered(repositoryName, number);
    const { revision } = await this.existing(repositoryName).merge(
      pullRequest.branch,
      `Merge pull request #${number} from ${pullRequest.branch}\n\n${pullRequest.title}`,
    );
    Object.assign(pullRequest, { state: 'merged', mergeCommitSha: revision, closedBy: by });
    await this.savePullRequests();
    return pullRequest;
  }

  async close(repositoryName: string, number: number, by: string): Promise<SimulatedPullRequest> {
    const pullRequest = this.openPullRequestNumbered(repositoryName, number);
    Object.assign(pullRequest, { state: 'closed', closedBy: by });
    await this.savePullRequests();
    return pullRequest;
  }

  /**
   * The git repository behind `owner/name`; writers outside this class go through its
   * `serialized` queue, so they never race the simulator's own commits and merges.
   */
  gitRepository(repositoryName: string): LocalGitRepository {
    return this.repository(repositoryName);
  }

  /** The git repository behind `owner/name`, for reading what was committed. */
  directoryOf(repositoryName: string): string {
    return this.repository(repositoryName).directory;
  }

  async idle(): Promise<void> {
    await Promise.all([...this.repositories.values()].map((repository) => repository.idle()));
  }

  private openPullRequestNumbered(repositoryName: string, number: number): SimulatedPullRequest {
    const pullRequest = this.pullRequests.find(
      (candidate) => candidate.repository === repositoryName && candidate.number === number,
    );
    if (!pullRequest) throw new NotFoundError(`Pull request ${repositoryName}#${number} does not exist`);
    if (pullRequest.state !== 'open')
      throw new ConflictError(`Pull request ${repositoryName}#${number} is already ${pullRequest.state}`);
    return pullRequest;
  }

  private repository(repositoryName: string): LocalGitRepository {
    let repository = this.repositories.get(repositoryName);
    if (!repository) {
      repository = new LocalGitRepository(join(this.root, ...repositoryName.split('/')));
      this.repositories.set(repositoryName, repository);
    }
    return repository;
  }

  private existing(repositoryName: string): LocalGitRepository {
    const repository = this.repository(repositoryName);
    if (!repository.exists()) throw new NotFoundError(`Repository ${repositoryName} does not exist`);
    return repository;
  }

  private urlOf(repositoryName: string): string {
    return `https://github.com/${repositoryName}`;
  }

  private get pullRequestsFile(): string {
    return join(this.root, 'pull-requests.json');
  }

  private async savePullRequests(): Promise<void> {
    await writeFile(this.pullRequestsFile, `${JSON.stringify(this.pullRequests, null, 2)}\n`);
  }
}

/** What the platform's template repositories hold, standing in for GitHub's "use this template". */
function templateFiles(template: string, repository: string, description: string): RepositoryFile[] {
  const name = repository.split('/')[1] ?? repository;
  const readme = {
    path: 'README.md',
    content: `# ${name}\n\n${description}\n\nCreated from the ${template} template by Flightplan.\n`,
  };
  if (template.endsWith('template-infra')) {
    return [
      readme,
      {
        path: 'terraform/README.md',
        content: `Terraform for ${name}: resources from the portal land in the shared Terraform repository; service-specific code goes here.\n`,
      },
    ];
  }
  return [
    readme,
    {
      path: 'Dockerfile',
      content: 'FROM public.ecr.aws/docker/library/node:22-alpine\nWORKDIR /app\nCOPY . .\nCMD ["node", "index.js"]\n',
    },
    {
      path: '.github/workflows/ci.yml',
      content: `name: ci\non: [push, pull_request]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo "build and push ${name}"\n`,
    },
  ];
}
