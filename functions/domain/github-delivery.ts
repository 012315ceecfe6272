import { z } from 'zod';

export const DEPLOY_HML_LABEL = 'deploy-hml';

const repositorySchema = z.object({ full_name: z.string() });
const senderSchema = z.object({ login: z.string() });

/** The parts of GitHub's `pull_request` webhook Flightplan reads; the rest passes through untouched. */
export const pullRequestEventSchema = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  label: z.object({ name: z.string() }).optional(),
  pull_request: z.object({
    state: z.string(),
    head: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/u, 'a 40-character commit SHA') }),
    labels: z.array(z.object({ name: z.string() })),
  }),
  repository: repositorySchema,
  sender: senderSchema,
});
export type PullRequestEvent = z.infer<typeof pullRequestEventSchema>;

/** What a GitHub delivery means for Flightplan, before the catalog is consulted. */
/** The parts of GitHub's `release` webhook Flightplan reads. */
export const releaseEventSchema = z.object({
  action: z.string(),
  release: z.object({
    tag_name: z.string().min(1),
    draft: z.boolean(),
    prerelease: z.boolean(),
    author: senderSchema,
  }),
  repository: repositorySchema,
  sender: senderSchema,
});
export type ReleaseEvent = z.infer<typeof releaseEventSchema>;

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

/**
 * A published release deploys its tag to production. Drafts and pre-releases do not. The release
 * author is the requester, who may not approve it.
 */
export function interpretRelease(event: ReleaseEvent): GithubIntent {
  if (event.action !== 'published') return ignored(`release action "${event.action}" does not deploy`);
  if (event.release.draft) return ignored(`release ${event.release.tag_name} is a draft`);
  if (event.release.prerelease) return ignored(`release ${event.release.tag_name} is a pre-release`);
  return { kind: 'deploy-prod', repository: event.repository.full_name, tag: event.release.tag_name, requestedBy: event.release.author.login };
}
