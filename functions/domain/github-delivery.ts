import { z } from 'zod';
import { githubLoginSchema, imageTagSchema } from './catalog.js';

export const DEPLOY_HML_LABEL = 'deploy-hml';

const repositorySchema = z.object({ full_name: z.string(), default_branch: z.string().optional() });
// Logins reach pull requests and audit entries: the shape GitHub allows, checked at the edge.
const senderSchema = z.object({ login: githubLoginSchema });

/** The parts of GitHub's `pull_request` webhook Flightplan reads; the rest passes through untouched. */
export const pullRequestEventSchema = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  label: z.object({ name: z.string() }).optional(),
  pull_request: z.object({
    state: z.string(),
    head: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/u, 'a 40-character commit SHA') }),
    labels: z.array(z.object({ name: z.string() })),
    merged: z.boolean().optional(),
    merge_commit_sha: z.string().nullable().optional(),
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
    author: senderSchema,
  }),
  repository: repositorySchema,
  sender: senderSchema,
});
export type ReleaseEvent = z.infer<typeof releaseEventSchema>;

/** The parts of GitHub's `workflow_run` webhook Flightplan reads. */
export const workflowRunEventSchema = z.object({
  action: z.string(),
  workflow_run: z.object({
    name: z.string().nullable(),
    head_branch: z.string().nullable(),
    head_sha: z.string(),
    conclusion: z.string().nullable(),
    html_url: z.string(),
    /** What triggered the run: only `push` (the merge landing on the default branch) applies. */
    event: z.string().optional(),
    path: z.string().optional(),
    run_attempt: z.number().int().positive().default(1),
  }),
  repository: repositorySchema,
  sender: senderSchema,
});
export type WorkflowRunEvent = z.infer<typeof workflowRunEventSchema>;

/** What a GitHub delivery means for Flightplan, before the catalog is consulted. */
export type GithubIntent =
  | {
      kind: 'deploy-hml';
      repository: string;
      pullRequest: number;
      headSha: string;
      requestedBy: string;
      action: 'labeled' | 'synchronize';
    }
  | { kind: 'deploy-prod'; repository: string; tag: string; requestedBy: string }
  | { kind: 'terraform-pull-request-closed'; repository: string; number: number; merged: boolean; mergeCommitSha: string | null; closedBy: string }
  | { kind: 'terraform-applied'; repository: string; headSha: string; conclusion: string; runUrl: string; runAttempt: number }
  | { kind: 'ignored'; reason: string };

export const ignored = (reason: string): GithubIntent => ({ kind: 'ignored', reason });

/**
 * A `deploy-hml` label on an open pull request deploys its head; a push to a pull request that
 * still carries the label deploys the new head. Everything else is acknowledged and ignored.
 */
export function interpretPullRequest(event: PullRequestEvent): GithubIntent {
  const hasLabel = event.pull_request.labels.some((label) => label.name === DEPLOY_HML_LABEL);
  if (event.pull_request.state !== 'open') return ignored(`pull request #${event.number} is ${event.pull_request.state}`);
  if (event.action === 'labeled') {
    if (event.label?.name !== DEPLOY_HML_LABEL) return ignored(`label "${event.label?.name ?? ''}" is not ${DEPLOY_HML_LABEL}`);
  } else if (event.action === 'synchronize') {
    if (!hasLabel) return ignored(`pull request #${event.number} does not carry ${DEPLOY_HML_LABEL}`);
  } else {
    return ignored(`pull_request action "${event.action}" does not deploy`);
  }
  return {
    kind: 'deploy-hml',
    repository: event.repository.full_name,
    pullRequest: event.number,
    headSha: event.pull_request.head.sha,
    requestedBy: event.sender.login,
    action: event.action,
  };
}

/** `released` also comes when a pre-release is promoted to a release; the deployment's request key makes both one deployment. */
const DEPLOYING_RELEASE_ACTIONS = ['published', 'released'];

/**
 * A published release deploys its tag to production, and so does a pre-release promoted to a
 * release. Drafts and pre-releases do not. The release author is the requester, who may not
 * approve it.
 */
export function interpretRelease(event: ReleaseEvent): GithubIntent {
  if (!DEPLOYING_RELEASE_ACTIONS.includes(event.action)) return ignored(`release action "${event.action}" does not deploy`);
  if (event.release.draft) return ignored(`release ${event.release.tag_name} is a draft`);
  if (event.release.prerelease) return ignored(`release ${event.release.tag_name} is a pre-release`);
  return { kind: 'deploy-prod', repository: event.repository.full_name, tag: event.release.tag_name, requestedBy: event.release.author.login };
}

/** On the Terraform repository, a closed pull request is what a provisioning request waits for. */
export function interpretTerraformPullRequest(event: PullRequestEvent): GithubIntent {
  if (event.action !== 'closed') return ignored(`pull_request action "${event.action}" on the Terraform repository changes nothing`);
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
  if (run.name !== applyWorkflow) return ignored(`workflow "${run.name ?? ''}" is not the apply workflow ${applyWorkflow}`);
  if (run.event !== 'push') return ignored(`a ${run.event ?? 'unknown'} run of ${applyWorkflow} is not the apply of a merge`);
  const defaultBranch = event.repository.default_branch ?? 'main';
  if (run.head_branch !== defaultBranch) return ignored(`a run of ${applyWorkflow} on ${run.head_branch ?? 'no branch'} is not on the default branch ${defaultBranch}`);
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
