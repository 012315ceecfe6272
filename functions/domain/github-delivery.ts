import * as z from '../zod.js';
import { mayOperate } from './authorization.js';
import { githubLoginSchema, imageTagSchema } from './catalog.js';

export const DEPLOY_HML_LABEL = 'deploy-hml';

const repositorySchema = z.object({ full_name: z.string(), default_branch: z.optional(z.string()) });
/** A GitHub account as webhooks carry it: `sender`, a release's `author`, a pull request's `user`. */
// Logins reach pull requests and audit entries: the shape GitHub allows, checked at the edge.
const accountSchema = z.object({
  login: githubLoginSchema,
  id: z.optional(z.number().check(z.int(), z.positive())),
  type: z.optional(z.string()),
});
const senderSchema = accountSchema;
export type GithubAccount = z.infer<typeof accountSchema>;

/** GitHub's `author_association` values that mean the author can push to the repository. */
const TRUSTED_AUTHOR_ASSOCIATIONS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/** The parts of GitHub's `pull_request` webhook Flightplan reads; the rest passes through untouched. */
export const pullRequestEventSchema = z.object({
  action: z.string(),
  number: z.number().check(z.int(), z.positive()),
  label: z.optional(z.object({ name: z.string() })),
  pull_request: z.object({
    state: z.string(),
    user: z.optional(accountSchema),
    author_association: z.optional(z.string()),
    head: z.object({
      sha: z.string().check(z.regex(/^[0-9a-f]{40}$/u, 'a 40-character commit SHA')),
      /** Null when the fork the pull request came from was deleted. */
      repo: z.optional(z.nullable(z.object({ full_name: z.string(), fork: z.optional(z.boolean()) }))),
    }),
    labels: z.array(z.object({ name: z.string() })),
    merged: z.optional(z.boolean()),
    merge_commit_sha: z.optional(z.nullable(z.string())),
    updated_at: z.optional(z.iso.datetime({ offset: true })),
  }),
  repository: repositorySchema,
  sender: senderSchema,
});
export type PullRequestEvent = z.infer<typeof pullRequestEventSchema>;

/** The parts of GitHub's `release` webhook Flightplan reads. */
export const releaseEventSchema = z.object({
  action: z.string(),
  release: z.object({
    // The rule a portal deploy's version follows: a 900 KB tag is refused here, not in DynamoDB.
    tag_name: imageTagSchema,
    draft: z.boolean(),
    prerelease: z.boolean(),
    author: accountSchema,
  }),
  repository: repositorySchema,
  sender: senderSchema,
});
export type ReleaseEvent = z.infer<typeof releaseEventSchema>;

/** The parts of GitHub's `workflow_run` webhook Flightplan reads. */
export const workflowRunEventSchema = z.object({
  action: z.string(),
  workflow_run: z.object({
    name: z.nullable(z.string()),
    head_branch: z.nullable(z.string()),
    head_sha: z.string(),
    conclusion: z.nullable(z.string()),
    html_url: z.string(),
    /** What triggered the run: only `push` (the merge landing on the default branch) applies. */
    event: z.optional(z.string()),
    path: z.optional(z.string()),
    run_attempt: z._default(z.number().check(z.int(), z.positive()), 1),
  }),
  repository: repositorySchema,
  sender: senderSchema,
});
export type WorkflowRunEvent = z.infer<typeof workflowRunEventSchema>;

/** The parts of GitHub's `push` webhook Flightplan reads. */
export const pushEventSchema = z.object({
  ref: z.string(),
  after: z.string(),
  deleted: z.optional(z.boolean()),
  repository: z.extend(repositorySchema, { default_branch: z.optional(z.string()) }),
  commits: z._default(
    z.array(
      z.object({
        added: z._default(z.array(z.string()), []),
        modified: z._default(z.array(z.string()), []),
        removed: z._default(z.array(z.string()), []),
      }),
    ),
    [],
  ),
  sender: senderSchema,
});
export type PushEvent = z.infer<typeof pushEventSchema>;

/** GitHub lists at most this many commits in a push payload; a longer push may hide a change. */
const PUSH_PAYLOAD_COMMIT_LIMIT = 20;

/** What a GitHub delivery means for Flightplan, before the catalog is consulted. */
export type GithubIntent =
  | {
      kind: 'deploy-hml';
      repository: string;
      pullRequest: number;
      headSha: string;
      /** Who added the label or pushed: the requester, who must be a member (`mayDeployToHml`). */
      sender: GithubAccount;
      action: 'labeled' | 'synchronize';
      /** The pull request's `updated_at` in this delivery: it orders the pull request's deliveries. */
      updatedAt?: string;
    }
  | { kind: 'deploy-prod'; repository: string; tag: string; author: GithubAccount; publisher: GithubAccount }
  | {
      kind: 'terraform-pull-request-closed';
      repository: string;
      number: number;
      merged: boolean;
      mergeCommitSha: string | null;
      closedBy: string;
    }
  | {
      kind: 'terraform-applied';
      repository: string;
      headSha: string;
      conclusion: string;
      runUrl: string;
      runAttempt: number;
    }
  | { kind: 'catalog-file-changed'; repository: string; revision: string; sender: GithubAccount }
  | { kind: 'ignored'; reason: string };

export const ignored = (reason: string): GithubIntent => ({ kind: 'ignored', reason });

/**
 * A `deploy-hml` label on an open pull request deploys its head; a push to a pull request that
 * still carries the label deploys the new head, unless the pull request comes from a fork or an
 * outside author: their pushes wait until a member labels it again. Whether the sender may
 * deploy at all is the directory's to say (`mayDeployToHml`). Everything else is ignored.
 */
export function interpretPullRequest(event: PullRequestEvent): GithubIntent {
  const hasLabel = event.pull_request.labels.some((label) => label.name === DEPLOY_HML_LABEL);
  if (event.pull_request.state !== 'open')
    return ignored(`pull request #${event.number} is ${event.pull_request.state}`);
  if (event.action === 'labeled') {
    if (event.label?.name !== DEPLOY_HML_LABEL)
      return ignored(`label "${event.label?.name ?? ''}" is not ${DEPLOY_HML_LABEL}`);
  } else if (event.action === 'synchronize') {
    if (!hasLabel) return ignored(`pull request #${event.number} does not carry ${DEPLOY_HML_LABEL}`);
    if (isOutsidePullRequest(event)) {
      return ignored(
        `pull request #${event.number} comes from a fork or an outside author: a push does not redeploy it until a member of the owning team labels it ${DEPLOY_HML_LABEL} again`,
      );
    }
  } else {
    return ignored(`pull_request action "${event.action}" does not deploy`);
  }
  return {
    kind: 'deploy-hml',
    repository: event.repository.full_name,
    pullRequest: event.number,
    headSha: event.pull_request.head.sha,
    sender: event.sender,
    action: event.action,
    ...(event.pull_request.updated_at ? { updatedAt: event.pull_request.updated_at } : {}),
  };
}

/** From a fork (or a deleted one), or by an author who cannot push to the repository. */
export function isOutsidePullRequest(event: PullRequestEvent): boolean {
  const head = event.pull_request.head.repo;
  const fromFork =
    head === null ||
    (head !== undefined &&
      (head.fork === true || head.full_name.toLowerCase() !== event.repository.full_name.toLowerCase()));
  const association = event.pull_request.author_association;
  return fromFork || (association !== undefined && !TRUSTED_AUTHOR_ASSOCIATIONS.has(association));
}

/** Only a member of the owning team or of platform-team deploys by label, or by a push to a labelled pull request. */
export function mayDeployToHml(senderTeams: readonly string[] | undefined, owningTeam: string): boolean {
  return senderTeams !== undefined && mayOperate(senderTeams, owningTeam);
}

/** `released` also comes when a pre-release is promoted to a release; the deployment's request key makes both one deployment. */
const DEPLOYING_RELEASE_ACTIONS = ['published', 'released'];

/**
 * A published release deploys its tag to production, and so does a pre-release promoted to a
 * release. Drafts and pre-releases do not. The release's author and whoever published it are
 * both requesters, and neither may approve it.
 */
export function interpretRelease(event: ReleaseEvent): GithubIntent {
  if (!DEPLOYING_RELEASE_ACTIONS.includes(event.action))
    return ignored(`release action "${event.action}" does not deploy`);
  if (event.release.draft) return ignored(`release ${event.release.tag_name} is a draft`);
  if (event.release.prerelease) return ignored(`release ${event.release.tag_name} is a pre-release`);
  return {
    kind: 'deploy-prod',
    repository: event.repository.full_name,
    tag: event.release.tag_name,
    author: event.release.author,
    publisher: event.sender,
  };
}

/**
 * A push to the default branch that adds, changes or removes catalog-info.yaml is what onboards,
 * updates or retires the service the repository describes. The file itself is read at the
 * pushed revision, so the order pushes arrive in does not matter.
 */
export function interpretPush(event: PushEvent, catalogFile: string): GithubIntent {
  const defaultBranch = event.repository.default_branch ?? 'main';
  if (event.ref !== `refs/heads/${defaultBranch}`)
    return ignored(`push to ${event.ref}, not to the default branch ${defaultBranch}`);
  if (event.deleted === true) return ignored(`push deleted ${event.ref}`);
  const touched =
    event.commits.length >= PUSH_PAYLOAD_COMMIT_LIMIT ||
    event.commits.some((commit) => [...commit.added, ...commit.modified, ...commit.removed].includes(catalogFile));
  if (!touched) return ignored(`push to ${defaultBranch} does not change ${catalogFile}`);
  return {
    kind: 'catalog-file-changed',
    repository: event.repository.full_name,
    revision: event.after,
    sender: event.sender,
  };
}

/** On the Terraform repository, a closed pull request is what a provisioning request waits for. */
export function interpretTerraformPullRequest(event: PullRequestEvent): GithubIntent {
  if (event.action !== 'closed')
    return ignored(`pull_request action "${event.action}" on the Terraform repository changes nothing`);
  return {
    kind: 'terraform-pull-request-closed',
    repository: event.repository.full_name,
    number: event.number,
    merged: event.pull_request.merged === true,
    mergeCommitSha: event.pull_request.merged === true ? (event.pull_request.merge_commit_sha ?? null) : null,
    closedBy: event.sender.login,
  };
}

/**
 * A finished run of the apply workflow on the Terraform repository. A name is not enough: the run
 * must come from a push to the default branch (not a fork's branch, not a workflow_dispatch) and
 * from the workflow file `.github/workflows/{applyWorkflow}.yml` (or `.yaml`).
 */
export function interpretApplyRun(event: WorkflowRunEvent, applyWorkflow: string): GithubIntent {
  const run = event.workflow_run;
  if (event.action !== 'completed') return ignored(`workflow_run action "${event.action}" is not a finished run`);
  if (run.name !== applyWorkflow)
    return ignored(`workflow "${run.name ?? ''}" is not the apply workflow ${applyWorkflow}`);
  if (run.event !== 'push')
    return ignored(`a ${run.event ?? 'unknown'} run of ${applyWorkflow} is not the apply of a merge`);
  const defaultBranch = event.repository.default_branch ?? 'main';
  if (run.head_branch !== defaultBranch)
    return ignored(
      `a run of ${applyWorkflow} on ${run.head_branch ?? 'no branch'} is not on the default branch ${defaultBranch}`,
    );
  if (run.path !== `.github/workflows/${applyWorkflow}.yml` && run.path !== `.github/workflows/${applyWorkflow}.yaml`) {
    return ignored(`workflow file ${run.path ?? 'unknown'} is not .github/workflows/${applyWorkflow}.yml`);
  }
  return {
    kind: 'terraform-applied',
    repository: event.repository.full_name,
    headSha: event.workflow_run.head_sha,
    conclusion: event.workflow_run.conclusion ?? 'unknown',
    runUrl: event.workflow_run.html_url,
    runAttempt: event.workflow_run.run_attempt,
  };
}
