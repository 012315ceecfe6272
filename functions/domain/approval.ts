import * as z from '../zod.js';
import { PLATFORM_TEAM } from './catalog.js';
import {
  displayNameOf,
  hasHumanRequester,
  isRequester,
  requesterSchema,
  sameGithubAccount,
  type GithubIdentity,
  type Identity,
  type Person,
  type Requester,
} from './identity.js';
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
  'prod-deploy': {
    description: '1 member of the owning team',
    quorum: 1,
    eligibleTeams: (team) => [team],
    expiresAfterSeconds: 24 * HOUR,
    escalateBeforeExpirySeconds: 2 * HOUR,
  },
  'hml-resource': {
    description: '1 member of the owning team',
    quorum: 1,
    eligibleTeams: (team) => [team],
    expiresAfterSeconds: 24 * HOUR,
    escalateBeforeExpirySeconds: 2 * HOUR,
  },
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
  /** The voter's person id (Keycloak sub). */
  voter: z.string(),
  /** The GitHub login the voter was linked to when they voted. */
  githubLogin: z.optional(z.string()),
  /** The voter's teams when they voted: what made the vote count. */
  teams: z.array(z.string()),
  decision: z.enum(['APPROVE', 'REJECT']),
  comment: z.optional(z.string().check(z.maxLength(1000))),
  at: z.string(),
  via: z.enum(['slack', 'portal']),
});
export type Vote = z.infer<typeof voteSchema>;

export const approvalSchema = z.object({
  id: z.string(),
  status: approvalStatusSchema,
  policy: approvalPolicyNameSchema,
  team: z.string(),
  /** Shown; the decisions use `requesters`. */
  requestedBy: z.string(),
  /** Everyone who asked for the change (a release's author and publisher): none of them may approve it. */
  requesters: z._default(z.array(requesterSchema), []),
  /** Approvals needed, when it differs from the policy's (a release only bots asked for). */
  quorum: z.optional(z.number().check(z.int(), z.positive())),
  /** Teams whose members may vote, when it differs from the policy's (a team too small for its policy). */
  eligibleTeams: z.optional(z.array(z.string())),
  /** Why the terms differ from the policy's, for the approval message. */
  termsNote: z.optional(z.string()),
  subject: z.object({
    kind: z.enum(['deployment', 'provisioning', 'bake']),
    id: z.string(),
    summary: z.string(),
    /** What exactly is approved (an image digest, a Terraform hash): a change voids the approval. */
    binding: z.string(),
    link: z.optional(z.string()),
  }),
  votes: z.array(voteSchema),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.nullable(z.string()),
  reason: z.nullable(z.string()),
  slack: z.nullable(z.object({ channel: z.string(), ts: z.string() })),
  /** Set at creation when the directory has nobody who could decide it; platform-team is told. */
  noEligibleApprover: z._default(z.nullable(z.string()), null),
  revision: z.number().check(z.int(), z.nonnegative()),
});
export type Approval = z.infer<typeof approvalSchema>;

/** A person as far as voting goes: who they are and the teams that make their vote count. */
export type Voter = Identity &
  Pick<Person, 'teams'> & {
    name: string;
    /**
     * The GitHub account the voter's sign-in says they are, which the directory may not have
     * recorded for them because another person holds its login (a stale link GitHub has freed).
     */
    githubClaim?: GithubIdentity | undefined;
  };

/** A requester is a requester as the directory knows them and as their sign-in says they are. */
function votesForOwnChange(approval: Approval, voter: Voter): boolean {
  const requesters = requestersOf(approval);
  return (
    isRequester(requesters, voter) ||
    (voter.githubClaim !== undefined && isRequester(requesters, { id: voter.id, github: voter.githubClaim }))
  );
}

/** What an approval needs: approvals, from which teams, and a team that must be among them. */
export interface ApprovalTerms {
  quorum: number;
  eligibleTeams: string[];
  mustInclude?: string | undefined;
  /** Set when the terms are not the policy's plain ones, and why. */
  note?: string | undefined;
}

/**
 * The terms for one approval, decided when it is requested:
 * - a change only bots asked for has no human requester standing for it, so the four eyes both
 *   have to be approvers: one more approval than the policy asks;
 * - so does each human requester that nobody in the directory is (`requestersNobodyIs`);
 * - when the owning team has fewer members who may approve than that, platform-team members
 *   count toward it (a team of one can still ship).
 * `members` are the people in each of the policy's teams, from the directory.
 */
export function approvalTermsFor(
  policyName: ApprovalPolicyName,
  team: string,
  requesters: readonly Requester[],
  members: Record<string, readonly Person[]>,
): ApprovalTerms {
  const policy = APPROVAL_POLICIES[policyName];
  const notes: string[] = [];
  let quorum = policy.quorum;
  if (requesters.length > 0 && !hasHumanRequester(requesters)) {
    quorum += 1;
    notes.push(
      `only bots asked for this change (${requesters.map((requester) => requester.name).join(', ')}), so it needs ${quorum} approvals`,
    );
  }
  const strangers = requestersNobodyIs(requesters, Object.values(members).flat());
  if (strangers.length > 0) {
    quorum += strangers.length;
    notes.push(
      `nobody in the directory is GitHub user ${strangers.map((requester) => requester.name).join(', ')}, who asked for this change, so it needs ${quorum} approvals`,
    );
  }
  const eligibleTeams = policy.eligibleTeams(team);
  const eligibleApprovers = new Set(
    eligibleTeams.flatMap((eligible) =>
      (members[eligible] ?? []).filter((person) => !isRequester(requesters, person)).map((person) => person.id),
    ),
  );
  if (eligibleApprovers.size < quorum && !eligibleTeams.includes(PLATFORM_TEAM)) {
    eligibleTeams.push(PLATFORM_TEAM);
    notes.push(
      `${team} has ${eligibleApprovers.size} member(s) who may approve and ${quorum} are needed, so platform-team members count toward it`,
    );
  }
  return {
    quorum,
    eligibleTeams,
    mustInclude: policy.mustInclude,
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

/**
 * Human requesters known only by a GitHub account that no person in the directory holds. Whoever
 * owns that account may be a voter whose person has no GitHub link, or a link to another account
 * (Keycloak lets a user re-link), so comparing identities cannot keep them from approving: each
 * one needs an approver more, as a change only bots asked for does.
 */
function requestersNobodyIs(requesters: readonly Requester[], people: readonly Person[]): Requester[] {
  return requesters.filter(
    (requester) =>
      !requester.bot &&
      requester.personId === undefined &&
      !people.some(
        (person) =>
          person.github !== undefined &&
          requester.github !== undefined &&
          sameGithubAccount(person.github, requester.github),
      ),
  );
}

/** The terms an approval was created with; approvals stored before terms were recorded use the policy's. */
export function termsOf(
  approval: Pick<Approval, 'policy' | 'team' | 'quorum' | 'eligibleTeams' | 'termsNote'>,
): ApprovalTerms {
  const policy = APPROVAL_POLICIES[approval.policy];
  return {
    quorum: approval.quorum ?? policy.quorum,
    eligibleTeams: approval.eligibleTeams ?? policy.eligibleTeams(approval.team),
    mustInclude: policy.mustInclude,
    note: approval.termsNote,
  };
}

/** Requesters of approvals stored before requesters were recorded: the one `requestedBy`, as a person and as a GitHub login. */
export function requestersOf(approval: Pick<Approval, 'requesters' | 'requestedBy'>): Requester[] {
  return approval.requesters.length > 0
    ? approval.requesters
    : [
        {
          personId: approval.requestedBy,
          github: { login: approval.requestedBy },
          name: approval.requestedBy,
          bot: false,
        },
      ];
}

/** What the terms ask for, in words: "1 member of payments or platform-team". */
export function describeTerms(terms: ApprovalTerms): string {
  const from = terms.eligibleTeams.join(' or ');
  const must = terms.mustInclude ? `, at least one from ${terms.mustInclude}` : '';
  return `${terms.quorum} ${terms.quorum === 1 ? 'member' : 'members'} of ${from}${must}`;
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
  requesters: Requester[];
  terms?: ApprovalTerms | undefined;
  subject: Approval['subject'];
  now: string;
}): Approval {
  const { terms, ...fields } = request;
  return {
    ...fields,
    ...(terms
      ? { quorum: terms.quorum, eligibleTeams: terms.eligibleTeams, ...(terms.note ? { termsNote: terms.note } : {}) }
      : {}),
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
 * Why nobody could decide an approval with these terms, given who the directory has in each
 * eligible team (`members`, person records); null when enough eligible people other than the
 * requesters exist to reach the quorum.
 */
export function missingApprovers(
  terms: ApprovalTerms,
  requesters: readonly Requester[],
  members: Record<string, readonly Person[]>,
): string | null {
  const besides = requesters.map((requester) => requester.name).join(', ') || 'the requester';
  const eligible = new Map(
    terms.eligibleTeams.flatMap((team) =>
      (members[team] ?? [])
        .filter((person) => !isRequester(requesters, person))
        .map((person) => [person.id, person] as const),
    ),
  );
  if (eligible.size < terms.quorum) {
    const names = [...eligible.values()].map((person) => displayNameOf(person));
    return `${describeTerms(terms)} must decide, and the directory has ${eligible.size === 0 ? 'nobody' : `only ${names.join(', ')}`} eligible besides ${besides}`;
  }
  const required = terms.mustInclude;
  if (required && !(members[required] ?? []).some((person) => !isRequester(requesters, person)))
    return `a member of ${required} must approve, and the directory has none besides ${besides}`;
  return null;
}

export function mayVote(approval: Approval, voter: Voter): boolean {
  const { eligibleTeams } = termsOf(approval);
  return !votesForOwnChange(approval, voter) && voter.teams.some((team) => eligibleTeams.includes(team));
}

/**
 * Approving votes that count, and whether they meet the terms. A vote by a requester never
 * counts, even one recorded before the voter's GitHub login was linked to a requester.
 */
export function quorumReached(
  approval: Pick<
    Approval,
    'policy' | 'team' | 'votes' | 'requesters' | 'requestedBy' | 'quorum' | 'eligibleTeams' | 'termsNote'
  >,
): boolean {
  const terms = termsOf(approval);
  const requesters = requestersOf(approval);
  const approvers = approval.votes.filter(
    (vote) =>
      vote.decision === 'APPROVE' &&
      !isRequester(requesters, {
        id: vote.voter,
        ...(vote.githubLogin ? { github: { login: vote.githubLogin } } : {}),
      }),
  );
  const distinct = new Set(approvers.map((vote) => vote.voter));
  const includesRequired =
    terms.mustInclude === undefined || approvers.some((vote) => vote.teams.includes(terms.mustInclude ?? ''));
  return distinct.size >= terms.quorum && includesRequired;
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
  if (approval.status !== 'PENDING')
    return { kind: 'refused', code: 'closed', reason: `This approval is already ${approval.status}` };
  if (now >= approval.expiresAt)
    return { kind: 'refused', code: 'expired', reason: `This approval expired at ${approval.expiresAt}` };
  if (votesForOwnChange(approval, voter)) {
    return {
      kind: 'refused',
      code: 'self-approval',
      reason: `${voter.name} asked for this change; somebody else must decide`,
    };
  }
  if (approval.votes.some((existing) => existing.voter === voter.id)) {
    return { kind: 'refused', code: 'duplicate', reason: `${voter.name} already voted on this approval` };
  }
  if (!mayVote(approval, voter)) {
    return {
      kind: 'refused',
      code: 'not-allowed',
      reason: `Only ${describeTerms(termsOf(approval))} (not ${approval.requestedBy}) may vote; ${voter.name} may not`,
    };
  }
  const recorded: Vote = {
    voter: voter.id,
    ...(voter.github ? { githubLogin: voter.github.login } : {}),
    teams: voter.teams,
    decision: vote.decision,
    at: now,
    via: vote.via,
    ...(vote.comment ? { comment: vote.comment } : {}),
  };
  const withVote: Approval = { ...approval, votes: [...approval.votes, recorded] };
  if (vote.decision === 'REJECT') {
    return {
      kind: 'decided',
      approval: {
        ...withVote,
        status: 'REJECTED',
        decidedAt: now,
        reason: `rejected by ${voter.name}${vote.comment ? `: ${vote.comment}` : ''}`,
      },
    };
  }
  if (quorumReached(withVote)) {
    const approvers = withVote.votes
      .filter((existing) => existing.decision === 'APPROVE')
      .map((existing) => existing.voter);
    return {
      kind: 'decided',
      approval: { ...withVote, status: 'APPROVED', decidedAt: now, reason: `approved by ${approvers.join(', ')}` },
    };
  }
  return { kind: 'recorded', approval: withVote };
}

/** Ends a pending approval that nobody decided in time, or whose subject changed. */
export function closeApproval(
  approval: Approval,
  status: 'EXPIRED' | 'VOID',
  reason: string,
  now: string,
): Approval | undefined {
  if (approval.status !== 'PENDING') return undefined;
  return { ...approval, status, decidedAt: now, reason };
}

/** The deterministic approval id for a subject: one approval per deployment or request. */
export const approvalIdFor = (subjectId: string): string => `${subjectId}.approval`;

/** The question asked after a deployment's inconclusive bake in one region. */
export const bakeDecisionIdFor = (deploymentId: string, region: string): string => `${deploymentId}.bake-${region}`;

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
