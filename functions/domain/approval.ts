import { z } from 'zod';
import { PLATFORM_TEAM } from './catalog.js';
import { HOUR, addSeconds } from './time.js';

export const approvalStatusSchema = z.enum(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'VOID']);
export type ApprovalStatus = z.infer<typeof approvalStatusSchema>;

export const approvalPolicyNameSchema = z.enum(['prod-deploy', 'hml-resource', 'prod-resource', 'bake-decision']);
export type ApprovalPolicyName = z.infer<typeof approvalPolicyNameSchema>;

export interface ApprovalPolicy {
  description: string;
  /** Distinct approving votes needed. */
  quorum: number;
  /** Teams whose members may vote, given the owning team. */
  eligibleTeams: (owningTeam: string) => string[];
  /** At least one approving vote must come from this team. */
  mustInclude?: string;
  expiresAfterSeconds: number;
  /** The reminder posted this long before expiry also escalates to platform-team. */
  escalateBeforeExpirySeconds: number;
}

/** The approval policies (DESIGN.md): who may approve what, how many, and for how long. */
export const APPROVAL_POLICIES: Record<ApprovalPolicyName, ApprovalPolicy> = {
  'prod-deploy': { description: '1 member of the owning team', quorum: 1, eligibleTeams: (team) => [team], expiresAfterSeconds: 24 * HOUR, escalateBeforeExpirySeconds: 2 * HOUR },
  'hml-resource': { description: '1 member of the owning team', quorum: 1, eligibleTeams: (team) => [team], expiresAfterSeconds: 24 * HOUR, escalateBeforeExpirySeconds: 2 * HOUR },
  /** An inconclusive bake: a human says continue (approve) or roll back (reject); silence rolls back. */
  'bake-decision': {
    description: '1 member of the owning team or platform-team',
    quorum: 1,
    eligibleTeams: (team) => [team, PLATFORM_TEAM],
    expiresAfterSeconds: HOUR,
    escalateBeforeExpirySeconds: 15 * 60,
  },
  'prod-resource': {
    description: '2 approvers, at least one from platform-team',
    quorum: 2,
    eligibleTeams: (team) => [team, PLATFORM_TEAM],
    mustInclude: PLATFORM_TEAM,
    expiresAfterSeconds: 24 * HOUR,
    escalateBeforeExpirySeconds: 2 * HOUR,
  },
};

export const voteSchema = z.object({
  voter: z.string(),
  /** The voter's teams when they voted: what made the vote count. */
  teams: z.array(z.string()),
  decision: z.enum(['APPROVE', 'REJECT']),
  comment: z.string().max(1000).optional(),
  at: z.string(),
  via: z.enum(['slack', 'portal']),
});
export type Vote = z.infer<typeof voteSchema>;

export const approvalSchema = z.object({
  id: z.string(),
  status: approvalStatusSchema,
  policy: approvalPolicyNameSchema,
  team: z.string(),
  requestedBy: z.string(),
  subject: z.object({
    kind: z.enum(['deployment', 'provisioning', 'bake']),
    id: z.string(),
    summary: z.string(),
    /** What exactly is approved (an image digest, a Terraform hash): a change voids the approval. */
    binding: z.string(),
    link: z.string().optional(),
  }),
  votes: z.array(voteSchema),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
  slack: z.object({ channel: z.string(), ts: z.string() }).nullable(),
  /** Set at creation when the directory has nobody who could decide it; platform-team is told. */
  noEligibleApprover: z.string().nullable().default(null),
  revision: z.number().int().nonnegative(),
});
export type Approval = z.infer<typeof approvalSchema>;

export interface Voter {
  login: string;
  teams: string[];
}

export type VoteOutcome =
  | { kind: 'recorded'; approval: Approval }
  | { kind: 'decided'; approval: Approval }
  | { kind: 'refused'; code: 'closed' | 'expired' | 'self-approval' | 'duplicate' | 'not-allowed'; reason: string };

export function newApproval(request: {
  id: string;
  policy: ApprovalPolicyName;
  team: string;
  requestedBy: string;
  subject: Approval['subject'];
  now: string;
}): Approval {
  return {
    ...request,
    status: 'PENDING',
    votes: [],
    createdAt: request.now,
    expiresAt: addSeconds(request.now, APPROVAL_POLICIES[request.policy].expiresAfterSeconds),
    decidedAt: null,
    reason: null,
    slack: null,
    noEligibleApprover: null,
    revision: 0,
  };
}

/**
 * Why nobody could decide an approval, given who the directory has in each eligible team; null
 * when enough eligible people other than the requester exist to reach the quorum.
 */
export function missingApprovers(policyName: ApprovalPolicyName, team: string, requester: string, members: Record<string, string[]>): string | null {
  const policy = APPROVAL_POLICIES[policyName];
  const eligible = new Set(policy.eligibleTeams(team).flatMap((candidate) => members[candidate] ?? []).filter((login) => login !== requester));
  if (eligible.size < policy.quorum) {
    return `${policy.description} must decide, and the directory has ${eligible.size === 0 ? 'nobody' : `only ${[...eligible].join(', ')}`} eligible besides ${requester}`;
  }
  const required = policy.mustInclude;
  if (required && !(members[required] ?? []).some((login) => login !== requester)) return `a member of ${required} must approve, and the directory has none besides ${requester}`;
  return null;
}

export function mayVote(approval: Approval, voter: Voter): boolean {
  const eligible = APPROVAL_POLICIES[approval.policy].eligibleTeams(approval.team);
  return voter.login !== approval.requestedBy && voter.teams.some((team) => eligible.includes(team));
}

/** Approving votes that count, and whether they meet the policy. */
export function quorumReached(approval: Pick<Approval, 'policy' | 'votes'>): boolean {
  const policy = APPROVAL_POLICIES[approval.policy];
  const approvers = approval.votes.filter((vote) => vote.decision === 'APPROVE');
  const distinct = new Set(approvers.map((vote) => vote.voter));
  const includesRequired = policy.mustInclude === undefined || approvers.some((vote) => vote.teams.includes(policy.mustInclude ?? ''));
  return distinct.size >= policy.quorum && includesRequired;
}

/**
 * One vote on an approval. The policy is enforced here and only here: one vote per person, never
 * the requester, only eligible voters, one rejection ends it, nothing changes after the end.
 */
export function castVote(
  approval: Approval,
  voter: Voter,
  vote: { decision: Vote['decision']; comment?: string | undefined; via: Vote['via'] },
  now: string,
): VoteOutcome {
  if (approval.status !== 'PENDING') return { kind: 'refused', code: 'closed', reason: `This approval is already ${approval.status}` };
  if (now >= approval.expiresAt) return { kind: 'refused', code: 'expired', reason: `This approval expired at ${approval.expiresAt}` };
  if (voter.login === approval.requestedBy) {
    return { kind: 'refused', code: 'self-approval', reason: `${voter.login} asked for this change; somebody else must decide` };
  }
  if (approval.votes.some((existing) => existing.voter === voter.login)) {
    return { kind: 'refused', code: 'duplicate', reason: `${voter.login} already voted on this approval` };
  }
  if (!mayVote(approval, voter)) {
    return { kind: 'refused', code: 'not-allowed', reason: `Only ${APPROVAL_POLICIES[approval.policy].description} (not ${approval.requestedBy}) may vote; ${voter.login} may not` };
  }
  const recorded: Vote = { voter: voter.login, teams: voter.teams, decision: vote.decision, at: now, via: vote.via, ...(vote.comment ? { comment: vote.comment } : {}) };
  const withVote: Approval = { ...approval, votes: [...approval.votes, recorded] };
  if (vote.decision === 'REJECT') {
    return { kind: 'decided', approval: { ...withVote, status: 'REJECTED', decidedAt: now, reason: `rejected by ${voter.login}${vote.comment ? `: ${vote.comment}` : ''}` } };
  }
  if (quorumReached(withVote)) {
    const approvers = withVote.votes.filter((existing) => existing.decision === 'APPROVE').map((existing) => existing.voter);
    return { kind: 'decided', approval: { ...withVote, status: 'APPROVED', decidedAt: now, reason: `approved by ${approvers.join(', ')}` } };
  }
  return { kind: 'recorded', approval: withVote };
}

/** Ends a pending approval that nobody decided in time, or whose subject changed. */
export function closeApproval(approval: Approval, status: 'EXPIRED' | 'VOID', reason: string, now: string): Approval | undefined {
  if (approval.status !== 'PENDING') return undefined;
  return { ...approval, status, decidedAt: now, reason };
}

/** The deterministic approval id for a subject: one approval per deployment or request. */
export const approvalIdFor = (subjectId: string): string => `${subjectId}.approval`;

/**
 * How long each wait lasts, in seconds: until the half-time reminder, until the escalation
 * shortly before expiry, then until expiry. Each is at least 1 s (Step Functions' minimum).
 */
export function reminderSchedule(policy: ApprovalPolicyName, secondsLeft: number): [number, number, number] {
  const total = Math.max(3, Math.ceil(secondsLeft));
  const half = Math.max(1, Math.floor(total / 2));
  const escalation = Math.max(1, Math.min(APPROVAL_POLICIES[policy].escalateBeforeExpirySeconds, total - half - 1));
  return [half, Math.max(1, total - half - escalation), escalation];
}
