import { createHash, randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';

/**
 * GitHub webhook deliveries as GitHub sends them (headers, signature and payload shape), for the
 * demo and the tests. Field names and nesting follow GitHub's `pull_request` webhook payload.
 */
export interface PullRequestDeliveryOptions {
  repository: string;
  number: number;
  headSha: string;
  action: 'labeled' | 'unlabeled' | 'synchronize' | 'opened' | 'closed';
  label?: string;
  labels: string[];
  sender: string;
  state?: 'open' | 'closed';
  merged?: boolean;
  mergeCommitSha?: string;
  /** The pull request's branch; `feature-{number}` when absent. */
  branch?: string;
  /** Who opened the pull request; the sender when absent. */
  author?: string;
  /** GitHub's author_association of the pull request's author; MEMBER when absent. */
  authorAssociation?: 'OWNER' | 'MEMBER' | 'COLLABORATOR' | 'CONTRIBUTOR' | 'FIRST_TIME_CONTRIBUTOR' | 'NONE';
  /** The fork the pull request comes from (`owner/name`); the repository itself when absent. */
  fork?: string;
  /** The pull request's `updated_at` as this delivery carries it; now when absent. */
  updatedAt?: string;
}

/** GitHub's numeric user id: one per account whatever the case of the login, as on GitHub. */
const userId = (login: string) =>
  (Number.parseInt(createHash('sha256').update(login.toLowerCase()).digest('hex').slice(0, 8), 16) % 90_000_000) +
  1_000_000;

const user = (login: string) => ({
  login,
  id: userId(login),
  node_id: `U_${login}`,
  type: login.toLowerCase().endsWith('[bot]') ? 'Bot' : 'User',
  site_admin: false,
  html_url: `https://github.com/${login.replace(/\[bot\]$/u, '')}`,
});

export function pullRequestPayload(options: PullRequestDeliveryOptions): Record<string, unknown> {
  const [owner = 'acme'] = options.repository.split('/');
  const repository = repositoryPayload(options.repository);
  const branch = options.branch ?? `feature-${options.number}`;
  const label = (labelName: string) => ({
    id: labelName.length * 31,
    node_id: `LA_${labelName}`,
    name: labelName,
    color: '0e8a16',
    default: false,
    description: null,
  });
  return {
    action: options.action,
    number: options.number,
    ...(options.label ? { label: label(options.label) } : {}),
    pull_request: {
      url: `https://api.github.com/repos/${options.repository}/pulls/${options.number}`,
      id: 100000 + options.number,
      node_id: `PR_${options.number}`,
      html_url: `https://github.com/${options.repository}/pull/${options.number}`,
      number: options.number,
      state: options.state ?? 'open',
      locked: false,
      title: `Change #${options.number}`,
      user: user(options.author ?? options.sender),
      author_association: options.authorAssociation ?? 'MEMBER',
      body: null,
      labels: options.labels.map(label),
      draft: false,
      merged: options.merged ?? false,
      merge_commit_sha: options.mergeCommitSha ?? null,
      merged_by: options.merged ? user(options.sender) : null,
      head: options.fork
        ? {
            label: `${options.fork.split('/')[0] ?? owner}:${branch}`,
            ref: branch,
            sha: options.headSha,
            user: user(options.fork.split('/')[0] ?? owner),
            repo: { ...repositoryPayload(options.fork), fork: true },
          }
        : { label: `${owner}:${branch}`, ref: branch, sha: options.headSha, user: user(owner), repo: repository },
      base: { label: `${owner}:main`, ref: 'main', sha: '0'.repeat(40), user: user(owner), repo: repository },
      created_at: '2026-11-23T09:00:00Z',
      updated_at: options.updatedAt ?? new Date().toISOString(),
    },
    repository,
    organization: { login: owner, id: 9000, node_id: `O_${owner}` },
    sender: user(options.sender),
  };
}

function repositoryPayload(fullName: string): Record<string, unknown> {
  const [owner = 'acme', name = 'repo'] = fullName.split('/');
  return {
    id: 4242,
    node_id: 'R_kgDOflightplan',
    name,
    full_name: fullName,
    private: true,
    owner: { ...user(owner), type: 'Organization' },
    html_url: `https://github.com/${fullName}`,
    default_branch: 'main',
  };
}

/** GitHub's `workflow_run` webhook for a finished run, as the Terraform apply workflow sends it after a merge. */
export function workflowRunPayload(options: {
  repository: string;
  workflow: string;
  headSha: string;
  conclusion: 'success' | 'failure' | 'cancelled';
  runId: number;
  sender: string;
}): Record<string, unknown> {
  const [owner = 'acme'] = options.repository.split('/');
  return {
    action: 'completed',
    workflow_run: {
      id: options.runId,
      name: options.workflow,
      node_id: `WFR_${options.runId}`,
      head_branch: 'main',
      head_sha: options.headSha,
      path: `.github/workflows/${options.workflow}.yml`,
      run_number: options.runId,
      run_attempt: 1,
      event: 'push',
      status: 'completed',
      conclusion: options.conclusion,
      workflow_id: 77,
      html_url: `https://github.com/${options.repository}/actions/runs/${options.runId}`,
      pull_requests: [],
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      actor: user(options.sender),
      repository: repositoryPayload(options.repository),
    },
    workflow: { id: 77, name: options.workflow, path: `.github/workflows/${options.workflow}.yml` },
    repository: repositoryPayload(options.repository),
    organization: { login: owner, id: 9000, node_id: `O_${owner}` },
    sender: user(options.sender),
  };
}

export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

export async function signedDelivery(
  secret: string,
  eventName: string,
  payload: unknown,
  deliveryId: string = randomUUID(),
): Promise<SignedDelivery> {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/flightplan-local',
      'x-github-event': eventName,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '123456',
      'x-hub-signature-256': await sign(secret, body),
    },
  };
}

/** GitHub's `release` webhook payload for a published (or other action) release. */
export function releasePayload(options: {
  repository: string;
  tag: string;
  author: string;
  publisher?: string;
  action?: string;
  prerelease?: boolean;
  draft?: boolean;
}): Record<string, unknown> {
  const [owner = 'acme', name = 'repo'] = options.repository.split('/');
  return {
    action: options.action ?? 'published',
    release: {
      url: `https://api.github.com/repos/${options.repository}/releases/1`,
      html_url: `https://github.com/${options.repository}/releases/tag/${options.tag}`,
      id: 1,
      node_id: 'RE_1',
      tag_name: options.tag,
      target_commitish: 'main',
      name: options.tag,
      draft: options.draft ?? false,
      prerelease: options.prerelease ?? false,
      author: user(options.author),
      created_at: '2026-11-23T09:00:00Z',
      published_at: new Date().toISOString(),
      body: `Release ${options.tag}`,
    },
    repository: {
      id: 4242,
      node_id: 'R_kgDOflightplan',
      name,
      full_name: options.repository,
      private: true,
      owner: { ...user(owner), type: 'Organization' },
      default_branch: 'main',
    },
    organization: { login: owner, id: 9000, node_id: `O_${owner}` },
    // Whoever pressed "Publish": the author, unless somebody else published their draft.
    sender: user(options.publisher ?? options.author),
  };
}

/** GitHub's `push` webhook for one commit pushed to the default branch. */
export function pushPayload(options: {
  repository: string;
  before: string | null;
  after: string;
  message: string;
  added: string[];
  modified: string[];
  removed: string[];
  sender: string;
}): Record<string, unknown> {
  const [owner = 'acme'] = options.repository.split('/');
  const commit = {
    id: options.after,
    tree_id: options.after,
    distinct: true,
    message: options.message,
    timestamp: new Date().toISOString(),
    url: `https://github.com/${options.repository}/commit/${options.after}`,
    author: { name: options.sender, email: `${options.sender}@users.noreply.github.com`, username: options.sender },
    committer: { name: options.sender, email: `${options.sender}@users.noreply.github.com`, username: options.sender },
    added: options.added,
    removed: options.removed,
    modified: options.modified,
  };
  return {
    ref: 'refs/heads/main',
    before: options.before ?? '0'.repeat(40),
    after: options.after,
    created: options.before === null,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${options.repository}/compare/${(options.before ?? '0'.repeat(40)).slice(0, 12)}...${options.after.slice(0, 12)}`,
    commits: [commit],
    head_commit: commit,
    repository: repositoryPayload(options.repository),
    pusher: { name: options.sender, email: `${options.sender}@users.noreply.github.com` },
    organization: { login: owner, id: 9000, node_id: `O_${owner}` },
    sender: user(options.sender),
  };
}

/** Signs and posts one delivery to a Flightplan's `/webhooks/github`, as GitHub would; the answer is returned, not judged. */
export async function deliverGithubWebhook(
  url: string,
  secret: string,
  eventName: string,
  payload: unknown,
): Promise<{ event: string; status: number; body: unknown }> {
  const delivery = await signedDelivery(secret, eventName, payload);
  const response = await fetch(`${url}/webhooks/github`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  return { event: eventName, status: response.status, body: await response.json() };
}
