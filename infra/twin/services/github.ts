import { createHash, createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import * as z from '../../../functions/zod.js';
import { GitRepoGitOps } from '../../../functions/adapters/local/git-repo-gitops.js';
import {
  GithubSimulator,
  type SimulatedGithubDeployment,
  type SimulatedPullRequest,
} from '../../../functions/adapters/local/github-simulator.js';
import type { LocalGitRepository } from '../../../functions/adapters/local/local-git.js';
import { LOCAL_DEFAULTS } from '../../../functions/config.js';
import { selfServiceSettingsFrom } from '../../../functions/config-self-service.js';
import { deliverGithubWebhook } from '../../local/github-payloads.js';
import { pullRequestControls, type WebhookDeliveryResult } from '../../local/github-controls.js';
import {
  jsonResponse,
  serveOnLoopback,
  type RunningService,
  type ServiceRequest,
  type ServiceResponse,
} from './http.js';

export interface GithubOptions {
  /** Where the repositories live, one git repository per owner/name (GithubSimulator's layout). */
  dataDir: string;
  /** The GitHub App the functions authenticate as (FLIGHTPLAN_GITHUB_APP_ID / _INSTALLATION_ID in the template). */
  appId: string;
  installationId: string;
  /**
   * The App's private key PEM, as the twin put it in Secrets Manager; its public half verifies
   * the App JWTs. A function, so it is read when a token is asked for.
   */
  appPrivateKey: string | (() => string);
  /** The GitOps repository the functions write and Argo CD watches; FLIGHTPLAN_GITOPS_REPOSITORY's local default when absent. */
  gitopsRepository?: string;
  /** Repositories that exist from the start; the Terraform repository when absent, as on `npm start`. */
  repositories?: { repository: string; readme: string }[];
  /** Where merges and closes deliver their signed webhooks: Flightplan's base URL and the webhook secret, read at delivery. */
  webhooks?: () => { url: string; secret: string };
  /** The Terraform repository and its apply workflow, for the merge control; FLIGHTPLAN_* or the local defaults when absent. */
  terraformRepository?: string;
  terraformApplyWorkflow?: string;
  onError?: (error: unknown) => void;
  port?: number;
}

export interface RunningGithub extends RunningService {
  simulator: GithubSimulator;
  /** The GitOps repository as the local runtime sees it: what ArgoCdSimulator watches. */
  gitops: GitRepoGitOps;
  directoryOf(repository: string): string;
  /** `GET /local/github/pull-requests` as `npm start` answers it: `{ items }`. */
  listPullRequests(query: unknown): { items: SimulatedPullRequest[] };
  /** `POST /local/github/pull-requests/{number}/merge`: merges, then delivers `pull_request` closed and the apply's `workflow_run`. */
  mergePullRequest(
    number: number,
    body: unknown,
  ): Promise<{ pullRequest: SimulatedPullRequest; deliveries: WebhookDeliveryResult[] }>;
  /** `POST /local/github/pull-requests/{number}/close`: closes unmerged, then delivers `pull_request` closed. */
  closePullRequest(
    number: number,
    body: unknown,
  ): Promise<{ pullRequest: SimulatedPullRequest; deliveries: WebhookDeliveryResult[] }>;
  deployments(): SimulatedGithubDeployment[];
  /** Every REST call received, with its answer's status, oldest first. */
  calls: { method: string; path: string; status: number }[];
  /** Every installation token issued, with its scope, oldest first. */
  tokens: IssuedToken[];
}

/** GitHub caps App JWTs at ten minutes; a minute of leeway for clock drift, as GitHub allows. */
const MAX_APP_JWT_SECONDS = 600;
const CLOCK_SKEW_SECONDS = 60;
const INSTALLATION_TOKEN_SECONDS = 3600;
/** What the twin's App is granted on its installation; a token may ask for less, never more. */
const APP_PERMISSIONS: Record<Permission, Access> = {
  administration: 'write',
  contents: 'write',
  deployments: 'write',
  metadata: 'read',
  pull_requests: 'write',
};
const tokenRequestSchema = z.object({
  repositories: z.optional(z.array(z.string().check(z.minLength(1)))),
  permissions: z.optional(z.record(z.string(), z.enum(['read', 'write']))),
});

/** An installation token as GitHub scopes it: the repositories (by name; all when absent) and permissions asked for. */
export interface IssuedToken {
  expiresAt: number;
  repositories?: string[];
  permissions: Partial<Record<Permission, Access>>;
}
const ZERO_SHA = '0'.repeat(40);
const BOT = { login: 'flightplan[bot]', id: 4242, type: 'Bot' };

class GithubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message);
    this.name = 'GithubApiError';
  }
}

const notFound = () => new GithubApiError(404, 'Not Found');

type Body = Record<string, unknown>;
type Permission = 'administration' | 'contents' | 'deployments' | 'metadata' | 'pull_requests';
type Access = 'read' | 'write';
type Route = {
  method: string;
  pattern: RegExp;
  /** What an installation token needs for this route (GitHub's "permissions required"); the App routes need the App JWT instead. */
  permission?: [Permission, Access];
  handle: (params: string[], request: ServiceRequest, body: Body) => Promise<ServiceResponse>;
};

/**
 * GitHub's REST API as the functions' Octokit adapters call it, over the same git repositories
 * GithubSimulator keeps for `npm start`: the App installation token exchange (the App JWT is
 * verified against the twin's key), the Git Data API and contents API for commits, template
 * repositories, pull requests and deployments. Writes are real git objects and refs, and go
 * through each repository's serialized queue, so they never race the simulator's merges.
 */
export async function startGithub(options: GithubOptions): Promise<RunningGithub> {
  // @octokit/auth-app reads the installation id as a number and refuses 0, so every GitHub call of the functions would fail.
  if (!Number(options.installationId))
    throw new Error(
      `The GitHub App installation id "${options.installationId}" is 0 to Octokit; synthesize with -c flightplan:githubAppInstallationId=<a non-zero id>`,
    );
  const selfService = selfServiceSettingsFrom(process.env);
  const terraformRepository = options.terraformRepository ?? selfService.terraformRepository;
  const terraformApplyWorkflow = options.terraformApplyWorkflow ?? selfService.terraformApplyWorkflow;
  const gitopsRepository = options.gitopsRepository ?? LOCAL_DEFAULTS.gitopsRepository;
  const simulator = new GithubSimulator(options.dataDir);
  await simulator.open(
    options.repositories ?? [
      // As npm start: the demo's service repositories come in by push (POST /local/github/repositories/…/commits).
      {
        repository: terraformRepository,
        readme:
          '# Terraform\n\nOne file per resource at {account}/{env}/{region}/{type}/{service}/{name}.tf, added by Flightplan pull requests. Merging applies.\n',
      },
    ],
  );
  const gitops = new GitRepoGitOps(simulator.directoryOf(gitopsRepository));
  await gitops.init();

  const privateKey =
    typeof options.appPrivateKey === 'function' ? options.appPrivateKey : () => options.appPrivateKey as string;
  let publicKey: { pem: string; key: KeyObject } | undefined;
  const appPublicKey = (): KeyObject => {
    const pem = privateKey();
    if (publicKey?.pem !== pem) publicKey = { pem, key: createPublicKey(pem) };
    return publicKey.key;
  };
  const tokens = new Map<string, IssuedToken>();
  const deploymentDetails = new Map<
    number,
    { description: string; production: boolean; transient: boolean; createdAt: string }
  >();
  const calls: RunningGithub['calls'] = [];
  const issuedTokens: IssuedToken[] = [];
  let baseUrl = '';

  const repository = (owner: string, name: string): { name: string; git: LocalGitRepository } => {
    const fullName = `${owner}/${name}`;
    const git = simulator.gitRepository(fullName);
    if (!git.exists()) throw notFound();
    return { name: fullName, git };
  };
  const repositoryJson = (fullName: string) => {
    const [owner = '', name = ''] = fullName.split('/');
    return {
      id: numericId(fullName),
      node_id: `R_${numericId(fullName)}`,
      name,
      full_name: fullName,
      private: true,
      owner: { login: owner, id: numericId(owner), type: 'Organization' },
      html_url: `https://github.com/${fullName}`,
      url: `${baseUrl}/repos/${fullName}`,
      default_branch: 'main',
    };
  };
  const pullRequestJson = (pullRequest: SimulatedPullRequest) => {
    const [owner = ''] = pullRequest.repository.split('/');
    return {
      id: numericId(`${pullRequest.repository}#${pullRequest.number}`),
      number: pullRequest.number,
      state: pullRequest.state === 'open' ? 'open' : 'closed',
      title: pullRequest.title,
      body: pullRequest.body,
      html_url: pullRequest.url,
      url: `${baseUrl}/repos/${pullRequest.repository}/pulls/${pullRequest.number}`,
      user: BOT,
      head: {
        label: `${owner}:${pullRequest.branch}`,
        ref: pullRequest.branch,
        sha: pullRequest.headSha,
        repo: repositoryJson(pullRequest.repository),
      },
      base: { label: `${owner}:main`, ref: 'main', repo: repositoryJson(pullRequest.repository) },
      merged: pullRequest.state === 'merged',
      merge_commit_sha: pullRequest.mergeCommitSha ?? null,
      created_at: pullRequest.openedAt,
    };
  };
  const deploymentJson = (deployment: SimulatedGithubDeployment) => {
    const details = deploymentDetails.get(deployment.id);
    return {
      id: deployment.id,
      node_id: `DE_${deployment.id}`,
      url: `${baseUrl}/repos/${deployment.repository}/deployments/${deployment.id}`,
      sha: deployment.ref,
      ref: deployment.ref,
      task: 'deploy',
      environment: deployment.environment,
      description: details?.description ?? null,
      creator: BOT,
      created_at: details?.createdAt ?? new Date().toISOString(),
      production_environment: details?.production ?? false,
      transient_environment: details?.transient ?? false,
      statuses_url: `${baseUrl}/repos/${deployment.repository}/deployments/${deployment.id}/statuses`,
    };
  };
  const commitJson = async (fullName: string, git: LocalGitRepository, sha: string) => {
    const commit = await readCommit(git, sha);
    if (!commit) throw notFound();
    return {
      sha,
      node_id: `C_${sha}`,
      url: `${baseUrl}/repos/${fullName}/git/commits/${sha}`,
      html_url: `https://github.com/${fullName}/commit/${sha}`,
      author: commit.author,
      committer: commit.committer,
      message: commit.message,
      tree: { sha: commit.tree, url: `${baseUrl}/repos/${fullName}/git/trees/${commit.tree}` },
      parents: commit.parents.map((parent) => ({
        sha: parent,
        url: `${baseUrl}/repos/${fullName}/git/commits/${parent}`,
        html_url: `https://github.com/${fullName}/commit/${parent}`,
      })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
    };
  };
  const refJson = (fullName: string, ref: string, sha: string) => ({
    ref,
    node_id: `REF_${numericId(`${fullName}:${ref}`)}`,
    url: `${baseUrl}/repos/${fullName}/git/${ref}`,
    object: { sha, type: 'commit', url: `${baseUrl}/repos/${fullName}/git/commits/${sha}` },
  });

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: /^\/app\/installations\/([^/]+)\/access_tokens$/u,
      handle: async ([installationId], _request, body) => {
        if (installationId !== options.installationId) throw notFound();
        const asked = tokenRequestSchema.safeParse(body);
        if (!asked.success) throw new GithubApiError(422, 'Invalid request.', asked.error.issues);
        const permissions: Partial<Record<Permission, Access>> = {};
        for (const [permission, access] of Object.entries(asked.data.permissions ?? APP_PERMISSIONS)) {
          const granted = APP_PERMISSIONS[permission as Permission] as Access | undefined;
          if (!granted || (access === 'write' && granted === 'read'))
            throw new GithubApiError(422, `The permissions requested are not granted to this installation.`);
          permissions[permission as Permission] = access;
        }
        // GitHub adds metadata: read to every token that has any permission.
        permissions.metadata ??= 'read';
        // GitHub also refuses names the installation has no repository for; the twin's deployments
        // API takes any repository (the demo's service repositories arrive by push), so names are kept as asked.
        const repositories = asked.data.repositories;
        const token = `ghs_${randomBytes(18).toString('hex')}`;
        const issued: IssuedToken = {
          expiresAt: Date.now() + INSTALLATION_TOKEN_SECONDS * 1000,
          ...(repositories ? { repositories } : {}),
          permissions,
        };
        tokens.set(token, issued);
        issuedTokens.push(issued);
        return Promise.resolve(
          jsonResponse(201, {
            token,
            expires_at: new Date(issued.expiresAt).toISOString().replace(/\.\d{3}Z$/u, 'Z'),
            permissions,
            repository_selection: repositories ? 'selected' : 'all',
            ...(repositories ? { repositories: repositories.map((name) => ({ name, id: numericId(name) })) } : {}),
          }),
        );
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)$/u,
      permission: ['metadata', 'read'],
      handle: async ([owner = '', name = '']) => {
        const fullName = repository(owner, name).name;
        return jsonResponse(200, { ...repositoryJson(fullName), topics: await simulator.topicsOf(fullName) });
      },
    },
    {
      method: 'PUT',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/topics$/u,
      permission: ['administration', 'write'],
      handle: async ([owner = '', name = ''], _request, body) => {
        const fullName = repository(owner, name).name;
        const names = z.array(z.string()).parse((body as { names?: unknown } | undefined)?.names);
        await simulator.setTopics(fullName, names);
        return jsonResponse(200, { names });
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/generate$/u,
      permission: ['administration', 'write'],
      handle: async ([templateOwner = '', templateName = ''], _request, body) => {
        const owner = stringField(body, 'owner') ?? templateOwner;
        const name = requiredField(body, 'name');
        const fullName = `${owner}/${name}`;
        if (simulator.gitRepository(fullName).exists()) {
          throw new GithubApiError(422, 'Repository creation failed.', [
            { resource: 'Repository', code: 'custom', field: 'name', message: 'name already exists on this account' },
          ]);
        }
        // The generated repository has no topics yet: the code host sets its mark with PUT …/topics.
        await simulator.createRepository({
          template: `${templateOwner}/${templateName}`,
          repository: fullName,
          description: stringField(body, 'description') ?? '',
          mark: '',
        });
        await simulator.setTopics(fullName, []);
        return jsonResponse(201, {
          ...repositoryJson(fullName),
          description: stringField(body, 'description') ?? null,
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/ref\/(.+)$/u,
      permission: ['contents', 'read'],
      handle: async ([owner = '', name = '', ref = '']) => {
        const { name: fullName, git } = repository(owner, name);
        const sha = await resolveRef(git, `refs/${ref}`);
        if (!sha) throw notFound();
        return jsonResponse(200, refJson(fullName, `refs/${ref}`, sha));
      },
    },
    {
      // GitHub's commit list, newest first, as far as the adapters ask it: `sha` (default branch
      // when absent), `path` and `per_page`.
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/commits$/u,
      permission: ['contents', 'read'],
      handle: async ([owner = '', name = ''], request) => {
        const { name: fullName, git } = repository(owner, name);
        const ref = request.url.searchParams.get('sha') ?? 'main';
        const path = request.url.searchParams.get('path');
        const perPage = Math.min(100, Number(request.url.searchParams.get('per_page') ?? '30') || 30);
        const head = await resolveRef(git, `${ref}^{commit}`);
        if (!head) throw new GithubApiError(404, `No commit found for SHA: ${ref}`);
        const shas = (await git.git('log', `-${perPage}`, '--format=%H', head, ...(path ? ['--', path] : [])))
          .split('\n')
          .filter(Boolean);
        return jsonResponse(
          200,
          await Promise.all(
            shas.map(async (sha) => {
              const commit = await commitJson(fullName, git, sha);
              return { sha, node_id: commit.node_id, url: `${baseUrl}/repos/${fullName}/commits/${sha}`, commit };
            }),
          ),
        );
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/refs$/u,
      permission: ['contents', 'write'],
      handle: async ([owner = '', name = ''], _request, body) => {
        const { name: fullName, git } = repository(owner, name);
        const ref = requiredField(body, 'ref');
        const sha = requiredField(body, 'sha');
        if (!/^refs\/[^/]+\/.+/u.test(ref))
          throw new GithubApiError(422, "Reference name must start with 'refs/' and have at least two slashes.");
        return git.serialized(async () => {
          if (!(await isCommit(git, sha))) throw new GithubApiError(422, 'Object does not exist');
          if (await resolveRef(git, ref)) throw new GithubApiError(422, 'Reference already exists');
          await git.git('update-ref', ref, sha, ZERO_SHA);
          await syncWorkingTree(git, ref);
          return jsonResponse(201, refJson(fullName, ref, sha));
        });
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/refs\/(.+)$/u,
      permission: ['contents', 'write'],
      handle: async ([owner = '', name = '', shortRef = ''], _request, body) => {
        const { name: fullName, git } = repository(owner, name);
        const ref = `refs/${shortRef}`;
        const sha = requiredField(body, 'sha');
        return git.serialized(async () => {
          const current = await resolveRef(git, ref);
          if (!current) throw new GithubApiError(422, 'Reference does not exist');
          if (!(await isCommit(git, sha))) throw new GithubApiError(422, 'Object does not exist');
          if (body['force'] !== true && !(await isAncestor(git, current, sha)))
            throw new GithubApiError(422, 'Update is not a fast forward');
          await git.git('update-ref', ref, sha, current);
          await syncWorkingTree(git, ref);
          return jsonResponse(200, refJson(fullName, ref, sha));
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/commits\/([0-9a-f]{40})$/u,
      permission: ['contents', 'read'],
      handle: async ([owner = '', name = '', sha = '']) => {
        const { name: fullName, git } = repository(owner, name);
        return jsonResponse(200, await commitJson(fullName, git, sha));
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/commits$/u,
      permission: ['contents', 'write'],
      handle: async ([owner = '', name = ''], _request, body) => {
        const { name: fullName, git } = repository(owner, name);
        const tree = requiredField(body, 'tree');
        const parents = Array.isArray(body['parents']) ? body['parents'].map(String) : [];
        const message = requiredField(body, 'message');
        if ((await objectType(git, tree)) !== 'tree') throw new GithubApiError(422, 'Tree SHA does not exist');
        for (const parent of parents)
          if (!(await isCommit(git, parent)))
            throw new GithubApiError(422, 'Parent SHA does not exist or is not a commit object');
        const sha = (
          await git.git(
            { input: message },
            'commit-tree',
            tree,
            ...parents.flatMap((parent) => ['-p', parent]),
            '-F',
            '-',
          )
        ).trim();
        return jsonResponse(201, await commitJson(fullName, git, sha));
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/blobs$/u,
      permission: ['contents', 'write'],
      handle: async ([owner = '', name = ''], _request, body) => {
        const { name: fullName, git } = repository(owner, name);
        const content = requiredField(body, 'content', true);
        const text = body['encoding'] === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : content;
        const sha = (await git.git({ input: text }, 'hash-object', '-w', '--stdin')).trim();
        return jsonResponse(201, { sha, url: `${baseUrl}/repos/${fullName}/git/blobs/${sha}` });
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/git\/trees$/u,
      permission: ['contents', 'write'],
      handle: async ([owner = '', name = ''], _request, body) => {
        const { name: fullName, git } = repository(owner, name);
        const baseTree = stringField(body, 'base_tree');
        if (baseTree !== undefined && (await objectType(git, baseTree)) === undefined)
          throw new GithubApiError(422, 'Invalid tree info');
        const entries = z
          .array(
            z.object({
              path: z.string().check(z.minLength(1)),
              mode: z.enum(['100644', '100755', '120000']),
              type: z.literal('blob'),
              sha: z.optional(z.nullable(z.string())),
              content: z.optional(z.string()),
            }),
          )
          .safeParse(body['tree']);
        if (!entries.success) throw new GithubApiError(422, 'Invalid tree info', entries.error.issues);
        const sha = await writeTree(git, baseTree, entries.data);
        return jsonResponse(201, {
          sha,
          url: `${baseUrl}/repos/${fullName}/git/trees/${sha}`,
          tree: await listTree(git, sha),
          truncated: false,
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/contents(?:\/(.*))?$/u,
      permission: ['contents', 'read'],
      handle: async ([owner = '', name = '', path = ''], request) => {
        const { name: fullName, git } = repository(owner, name);
        const ref = request.url.searchParams.get('ref') ?? 'main';
        const commit = await resolveRef(git, ref.startsWith('refs/') ? ref : `${ref}^{commit}`);
        if (!commit) throw new GithubApiError(404, `No commit found for the ref ${ref}`);
        const entry =
          path === ''
            ? { mode: '040000', type: 'tree', sha: (await readCommit(git, commit))?.tree ?? '', path: '' }
            : await treeEntry(git, commit, path);
        if (!entry) throw notFound();
        const fileJson = (item: { type: string; sha: string; path: string }, size: number) => ({
          type: item.type === 'tree' ? 'dir' : 'file',
          name: item.path.split('/').at(-1) ?? item.path,
          path: item.path,
          sha: item.sha,
          size,
          url: `${baseUrl}/repos/${fullName}/contents/${item.path}?ref=${ref}`,
          html_url: `https://github.com/${fullName}/blob/${ref}/${item.path}`,
          git_url: `${baseUrl}/repos/${fullName}/git/${item.type === 'tree' ? 'trees' : 'blobs'}/${item.sha}`,
        });
        if (entry.type === 'tree') {
          const children = await listTree(git, entry.sha);
          return jsonResponse(
            200,
            children.map((child) =>
              fileJson({ ...child, path: path === '' ? child.path : `${path}/${child.path}` }, child.size ?? 0),
            ),
          );
        }
        const content = await git.git('cat-file', 'blob', entry.sha);
        // Accept: application/vnd.github.raw (Octokit's mediaType format 'raw') answers the file itself, as GitHub does.
        if (/application\/vnd\.github(?:\.v3)?\.raw/u.test(request.headers['accept'] ?? '')) {
          return {
            status: 200,
            headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' },
            body: content,
          };
        }
        const base64 = Buffer.from(content, 'utf8').toString('base64');
        // GitHub wraps the base64 content at 60 characters; clients must cope with the newlines.
        return jsonResponse(200, {
          ...fileJson(entry, Buffer.byteLength(content)),
          encoding: 'base64',
          content: `${base64.replace(/(.{60})/gu, '$1\n')}\n`,
        });
      },
    },
    {
      method: 'PUT',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/u,
      permission: ['contents', 'write'],
      handle: async ([owner = '', name = '', path = ''], _request, body) => {
        const { name: fullName, git } = repository(owner, name);
        const message = requiredField(body, 'message');
        const content = Buffer.from(requiredField(body, 'content', true), 'base64').toString('utf8');
        const branch = stringField(body, 'branch') ?? 'main';
        const expectedSha = stringField(body, 'sha');
        return git.serialized(async () => {
          const ref = `refs/heads/${branch}`;
          const head = await resolveRef(git, ref);
          if (!head) throw new GithubApiError(404, `Branch ${branch} not found`);
          const existing = await treeEntry(git, head, path);
          if (existing && existing.type !== 'blob') throw new GithubApiError(422, `${path} is a directory`);
          if (existing && expectedSha === undefined)
            throw new GithubApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
          if (existing && expectedSha !== existing.sha)
            throw new GithubApiError(409, `${path} does not match ${expectedSha ?? ''}`);
          if (!existing && expectedSha !== undefined)
            throw new GithubApiError(409, `${path} does not match ${expectedSha}`);
          const headTree = (await readCommit(git, head))?.tree;
          const tree = await writeTree(git, headTree, [{ path, mode: '100644', content }]);
          const commit = (await git.git({ input: message }, 'commit-tree', tree, '-p', head, '-F', '-')).trim();
          await git.git('update-ref', ref, commit, head);
          await syncWorkingTree(git, ref);
          const blob = (await treeEntry(git, commit, path))?.sha ?? '';
          return jsonResponse(existing ? 200 : 201, {
            content: {
              type: 'file',
              name: path.split('/').at(-1) ?? path,
              path,
              sha: blob,
              size: Buffer.byteLength(content),
              html_url: `https://github.com/${fullName}/blob/${branch}/${path}`,
            },
            commit: await commitJson(fullName, git, commit),
          });
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls$/u,
      permission: ['pull_requests', 'read'],
      handle: ([owner = '', name = ''], request) => {
        const { name: fullName } = repository(owner, name);
        const state = request.url.searchParams.get('state') ?? 'open';
        const head = request.url.searchParams.get('head');
        const base = request.url.searchParams.get('base');
        const items = simulator
          .listPullRequests({ repository: fullName })
          .filter((pullRequest) => state === 'all' || (state === 'open') === (pullRequest.state === 'open'))
          .filter((pullRequest) => !head || `${owner}:${pullRequest.branch}` === head || pullRequest.branch === head)
          .filter(() => !base || base === 'main')
          .reverse();
        return Promise.resolve(jsonResponse(200, page(items, request).map(pullRequestJson)));
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/u,
      permission: ['pull_requests', 'read'],
      handle: ([owner = '', name = '', number = '']) => {
        const { name: fullName } = repository(owner, name);
        const pullRequest = simulator
          .listPullRequests({ repository: fullName })
          .find((candidate) => candidate.number === Number(number));
        if (!pullRequest) throw notFound();
        return Promise.resolve(jsonResponse(200, pullRequestJson(pullRequest)));
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls$/u,
      permission: ['pull_requests', 'write'],
      handle: async ([owner = '', name = ''], _request, body) => {
        const { name: fullName, git } = repository(owner, name);
        const head = requiredField(body, 'head');
        const branch = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
        if (requiredField(body, 'base') !== 'main')
          throw new GithubApiError(422, 'Validation Failed', [
            { resource: 'PullRequest', field: 'base', code: 'invalid' },
          ]);
        const headSha = await resolveRef(git, `refs/heads/${branch}`);
        if (!headSha)
          throw new GithubApiError(422, 'Validation Failed', [
            { resource: 'PullRequest', field: 'head', code: 'invalid' },
          ]);
        if (
          simulator
            .listPullRequests({ repository: fullName, state: 'open' })
            .some((candidate) => candidate.branch === branch)
        ) {
          throw new GithubApiError(422, 'Validation Failed', [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${owner}:${branch}.`,
            },
          ]);
        }
        const pullRequest = await simulator.recordPullRequest({
          repository: fullName,
          branch,
          title: requiredField(body, 'title'),
          body: stringField(body, 'body') ?? '',
          headSha,
        });
        return jsonResponse(201, pullRequestJson(pullRequest));
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/deployments$/u,
      permission: ['deployments', 'read'],
      handle: ([owner = '', name = ''], request) => {
        const fullName = `${owner}/${name}`;
        const ref = request.url.searchParams.get('ref');
        const environment = request.url.searchParams.get('environment');
        const items = simulator.deployments
          .filter(
            (deployment) =>
              deployment.repository === fullName &&
              (!ref || deployment.ref === ref) &&
              (!environment || deployment.environment === environment),
          )
          .reverse();
        return Promise.resolve(jsonResponse(200, page(items, request).map(deploymentJson)));
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/deployments$/u,
      permission: ['deployments', 'write'],
      handle: ([owner = '', name = ''], _request, body) => {
        const deployment: SimulatedGithubDeployment = {
          id: simulator.deployments.length + 1,
          repository: `${owner}/${name}`,
          ref: requiredField(body, 'ref'),
          environment: stringField(body, 'environment') ?? 'production',
          statuses: [],
        };
        simulator.deployments.push(deployment);
        deploymentDetails.set(deployment.id, {
          description: stringField(body, 'description') ?? '',
          production: body['production_environment'] === true,
          transient: body['transient_environment'] === true,
          createdAt: new Date().toISOString(),
        });
        return Promise.resolve(jsonResponse(201, deploymentJson(deployment)));
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/deployments\/(\d+)\/statuses$/u,
      permission: ['deployments', 'write'],
      handle: ([owner = '', name = '', id = ''], _request, body) => {
        const deployment = simulator.deployments.find(
          (candidate) => candidate.id === Number(id) && candidate.repository === `${owner}/${name}`,
        );
        if (!deployment) throw notFound();
        const state = z
          .enum(['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'])
          .safeParse(body['state']);
        if (!state.success)
          throw new GithubApiError(422, 'Validation Failed', [
            { resource: 'DeploymentStatus', field: 'state', code: 'invalid' },
          ]);
        const status = {
          state: state.data,
          description: stringField(body, 'description') ?? '',
          at: new Date().toISOString(),
        };
        deployment.statuses.push(status);
        return Promise.resolve(
          jsonResponse(201, {
            id: deployment.statuses.length,
            state: status.state,
            description: status.description,
            environment: deployment.environment,
            created_at: status.at,
            deployment_url: `${baseUrl}/repos/${deployment.repository}/deployments/${deployment.id}`,
          }),
        );
      },
    },
  ];

  const authenticate = async (request: ServiceRequest, appRoute: boolean): Promise<IssuedToken | undefined> => {
    const [scheme = '', credential = ''] = (request.headers.authorization ?? '').split(' ');
    if (appRoute) {
      if (scheme.toLowerCase() !== 'bearer') throw new GithubApiError(401, 'A JSON web token could not be decoded');
      await verifyAppJwt(credential, appPublicKey(), options.appId);
      return undefined;
    }
    const issued = ['token', 'bearer'].includes(scheme.toLowerCase()) ? tokens.get(credential) : undefined;
    if (issued === undefined || issued.expiresAt < Date.now()) throw new GithubApiError(401, 'Bad credentials');
    return issued;
  };

  /**
   * As GitHub answers a token outside its scope: a private repository it was not issued for is
   * not there for it (404), and a permission it lacks is "Resource not accessible by integration" (403).
   */
  const authorize = (token: IssuedToken, route: Route, params: string[]): void => {
    const name = params[1];
    if (
      token.repositories &&
      route.pattern.source.startsWith('^\\/repos\\/') &&
      !token.repositories.includes(name ?? '')
    )
      throw notFound();
    if (!route.permission) return;
    const [permission, access] = route.permission;
    const granted = token.permissions[permission];
    if (!granted || (access === 'write' && granted === 'read'))
      throw new GithubApiError(403, 'Resource not accessible by integration');
  };

  const running = await serveOnLoopback(
    async (request) => {
      const path = request.url.pathname.replace(/\/+$/u, '') || '/';
      let response: ServiceResponse;
      try {
        const matches = routes.flatMap((route) => {
          const match = route.pattern.exec(path);
          return match
            ? [{ route, params: match.slice(1).map((param: string | undefined) => decodeURIComponent(param ?? '')) }]
            : [];
        });
        const found = matches.find(({ route }) => route.method === request.method);
        if (!found) throw matches.length > 0 ? new GithubApiError(405, 'Method Not Allowed') : notFound();
        const token = await authenticate(request, path.startsWith('/app/'));
        if (token) authorize(token, found.route, found.params);
        const text = request.body.toString('utf8');
        const body = parseBody(text);
        response = await found.route.handle(found.params, request, body);
      } catch (error) {
        if (!(error instanceof GithubApiError)) throw error;
        response = jsonResponse(error.status, {
          message: error.message,
          ...(error.errors ? { errors: error.errors } : {}),
          documentation_url: 'https://docs.github.com/rest',
          status: String(error.status),
        });
      }
      calls.push({ method: request.method, path: safeDecode(path), status: response.status });
      return {
        ...response,
        headers: {
          ...response.headers,
          'x-github-request-id': randomUUID(),
          'x-github-api-version-selected': '2022-11-28',
        },
      };
    },
    {
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.port === undefined ? {} : { port: options.port }),
    },
  );
  baseUrl = running.url;

  const deliver = async (eventName: string, payload: Record<string, unknown>): Promise<WebhookDeliveryResult> => {
    if (!options.webhooks)
      return { event: eventName, status: 0, body: { delivered: false, reason: 'no webhook URL configured' } };
    const { url, secret } = options.webhooks();
    return deliverGithubWebhook(url, secret, eventName, payload);
  };

  const pullRequests = pullRequestControls(simulator, { terraformRepository, terraformApplyWorkflow }, deliver);

  return {
    url: running.url,
    stop: async () => {
      await running.stop();
      await simulator.idle();
    },
    simulator,
    gitops,
    directoryOf: (fullName) => simulator.directoryOf(fullName),
    listPullRequests: pullRequests.list,
    mergePullRequest: pullRequests.merge,
    closePullRequest: pullRequests.close,
    deployments: () => simulator.deployments,
    calls,
    tokens: issuedTokens,
  };
}

/**
 * What GitHub checks of an App JWT: RS256 by the App's key, issued by the App, not expired, and
 * valid for at most ten minutes.
 */
async function verifyAppJwt(jwt: string, publicKey: KeyObject, appId: string): Promise<void> {
  try {
    const { payload } = await jwtVerify(jwt, publicKey, {
      algorithms: ['RS256'],
      issuer: appId,
      clockTolerance: CLOCK_SKEW_SECONDS,
    });
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') throw new Error('exp and iat are required');
    if (payload.exp - Math.floor(Date.now() / 1000) > MAX_APP_JWT_SECONDS + CLOCK_SKEW_SECONDS)
      throw new Error("'Expiration time' claim ('exp') is too far in the future");
    if (payload.iat > Math.floor(Date.now() / 1000) + CLOCK_SKEW_SECONDS)
      throw new Error(
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
      );
  } catch (error) {
    throw new GithubApiError(401, `A JSON web token could not be decoded: ${(error as Error).message}`);
  }
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // A malformed escape is logged as it came.
    return path;
  }
}

function parseBody(text: string): Body {
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Body;
  } catch {
    // Falls through to GitHub's answer for a body that is not a JSON object.
  }
  throw new GithubApiError(400, 'Problems parsing JSON');
}

const numericId = (text: string): number => createHash('sha256').update(text).digest().readUInt32BE(0) % 1_000_000_000;

function page<T>(items: T[], request: ServiceRequest): T[] {
  const perPage = Math.min(100, Number(request.url.searchParams.get('per_page') ?? 30) || 30);
  const pageNumber = Math.max(1, Number(request.url.searchParams.get('page') ?? 1) || 1);
  return items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
}

function stringField(body: Body, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

function requiredField(body: Body, name: string, allowEmpty = false): string {
  const value = stringField(body, name);
  if (value === undefined || (!allowEmpty && value === ''))
    throw new GithubApiError(422, 'Validation Failed', [{ field: name, code: 'missing_field' }]);
  return value;
}

async function objectType(git: LocalGitRepository, sha: string): Promise<string | undefined> {
  try {
    return (await git.git('cat-file', '-t', sha)).trim();
  } catch {
    // Unknown objects are a 404/422 for the caller, not an error of the emulation.
    return undefined;
  }
}

const isCommit = async (git: LocalGitRepository, sha: string): Promise<boolean> =>
  (await objectType(git, sha)) === 'commit';

async function resolveRef(git: LocalGitRepository, ref: string): Promise<string | undefined> {
  try {
    return (await git.git('rev-parse', '--verify', '--quiet', ref)).trim() || undefined;
  } catch {
    // rev-parse --verify exits 1 for a missing ref: GitHub's 404.
    return undefined;
  }
}

async function isAncestor(git: LocalGitRepository, ancestor: string, descendant: string): Promise<boolean> {
  try {
    await git.git('merge-base', '--is-ancestor', ancestor, descendant);
    return true;
  } catch {
    // Exit status 1 is the answer "no".
    return false;
  }
}

interface Person {
  name: string;
  email: string;
  date: string;
}

async function readCommit(
  git: LocalGitRepository,
  sha: string,
): Promise<{ tree: string; parents: string[]; author: Person; committer: Person; message: string } | undefined> {
  if (!(await isCommit(git, sha))) return undefined;
  const raw = await git.git('cat-file', 'commit', sha);
  const [header = '', ...messageParts] = raw.split('\n\n');
  const lines = header.split('\n');
  const value = (key: string) =>
    lines.filter((line) => line.startsWith(`${key} `)).map((line) => line.slice(key.length + 1));
  const person = (line = ''): Person => {
    const match = /^(.*) <([^>]*)> (\d+) [+-]\d{4}$/u.exec(line);
    return {
      name: match?.[1] ?? '',
      email: match?.[2] ?? '',
      date: new Date(Number(match?.[3] ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/u, 'Z'),
    };
  };
  return {
    tree: value('tree')[0] ?? '',
    parents: value('parent'),
    author: person(value('author')[0]),
    committer: person(value('committer')[0]),
    message: messageParts.join('\n\n').replace(/\n$/u, ''),
  };
}

async function treeEntry(
  git: LocalGitRepository,
  commit: string,
  path: string,
): Promise<{ mode: string; type: string; sha: string; path: string } | undefined> {
  const line = (await git.git('ls-tree', commit, '--', path))
    .split('\n')
    .find((candidate) => candidate.endsWith(`\t${path}`));
  if (!line) return undefined;
  const [meta = '', entryPath = ''] = line.split('\t');
  const [mode = '', type = '', sha = ''] = meta.split(' ');
  return { mode, type, sha, path: entryPath };
}

async function listTree(
  git: LocalGitRepository,
  tree: string,
): Promise<{ path: string; mode: string; type: string; sha: string; size?: number }[]> {
  const output = await git.git('ls-tree', '-l', tree);
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [meta = '', path = ''] = line.split('\t');
      const [mode = '', type = '', sha = '', size = '-'] = meta.split(/\s+/u);
      return { path, mode, type, sha, ...(size === '-' ? {} : { size: Number(size) }) };
    });
}

/** A tree from `baseTree` with the entries applied (content written as blobs, a null sha removes), through a private index. */
async function writeTree(
  git: LocalGitRepository,
  baseTree: string | undefined,
  entries: { path: string; mode: string; sha?: string | null | undefined; content?: string | undefined }[],
): Promise<string> {
  const index = { GIT_INDEX_FILE: join(git.directory, '.git', `twin-index-${randomUUID()}`) };
  try {
    if (baseTree) await git.git({ env: index }, 'read-tree', baseTree);
    else await git.git({ env: index }, 'read-tree', '--empty');
    for (const entry of entries) {
      if (entry.sha === null) {
        await git.git({ env: index }, 'update-index', '--force-remove', '--', entry.path);
        continue;
      }
      const blob =
        entry.content === undefined
          ? entry.sha
          : (await git.git({ input: entry.content }, 'hash-object', '-w', '--stdin')).trim();
      if (!blob || (await objectType(git, blob)) !== 'blob')
        throw new GithubApiError(422, `Invalid tree info: ${entry.path} names no blob`);
      await git.git({ env: index }, 'update-index', '--add', '--cacheinfo', `${entry.mode},${blob},${entry.path}`);
    }
    return (await git.git({ env: index }, 'write-tree')).trim();
  } finally {
    await rm(index.GIT_INDEX_FILE, { force: true });
  }
}

/**
 * The simulator keeps `main` checked out and commits through the working tree, and GitRepoGitOps
 * reads manifests from it; when a ref update moves the checked-out branch, the working tree
 * follows, so neither sees stale files.
 */
async function syncWorkingTree(git: LocalGitRepository, ref: string): Promise<void> {
  const checkedOut = (await git.git('symbolic-ref', 'HEAD')).trim();
  if (checkedOut === ref) await git.git('reset', '--hard', '--quiet');
}
