import { approvalMessage } from '../domain/approval-message.js';
import { escapeMrkdwn } from '../domain/slack-text.js';
import { PLATFORM_CHANNEL } from '../domain/catalog.js';
import {
  approvalIdFor,
  bakeDecisionIdFor,
  castVote,
  closeApproval,
  missingApprovers,
  newApproval,
  reminderSchedule,
  requestersOf,
  termsOf,
  type Approval,
  type ApprovalPolicyName,
  type ApprovalTerms,
  type Vote,
  type VoteOutcome,
} from '../domain/approval.js';
import type { Deployment } from '../domain/deployment.js';
import { displayNameOf, type GithubIdentity, type Person, type Requester } from '../domain/identity.js';
import { NotFoundError } from '../errors.js';
import type {
  ApprovalStore,
  CatalogStore,
  Chat,
  Clock,
  MetricsRecorder,
  WaitStore,
  WorkflowEngine,
} from '../ports/index.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';
import { resumeWithFinalOutcome } from './task-waits.js';

export interface ApprovalRequest {
  approvalId: string;
  policy: ApprovalPolicyName;
  team: string;
  requestedBy: string;
  requesters: Requester[];
  /** Decided from the directory when the approval is asked for (`approvalTermsWith`). */
  terms?: ApprovalTerms | undefined;
  subject: Approval['subject'];
  channel: string;
}

const approvalWaitKey = (approvalId: string) => `approval#${approvalId}`;

async function loadApproval(approvals: ApprovalStore, id: string): Promise<Approval> {
  const approval = await approvals.get(id);
  if (!approval) throw new NotFoundError(`Approval ${id} does not exist`);
  return approval;
}

/** Keeps the Slack message in step with the approval: votes so far, then the outcome. */
async function refreshMessage(chat: Chat, approval: Approval): Promise<void> {
  if (approval.slack) await chat.update(approval.slack.channel, approval.slack.ts, approvalMessage(approval));
}

/** Creates the approval (once per subject) and posts its Slack message with the vote buttons. */
export async function requestApproval(
  deps: { approvals: ApprovalStore; chat: Chat; clock: Clock; catalog: CatalogStore },
  request: ApprovalRequest,
): Promise<{
  approvalId: string;
  expiresInSeconds: number;
  waits: { untilReminder: number; untilEscalation: number; untilExpiry: number };
}> {
  const now = deps.clock.now();
  const approval = newApproval({
    id: request.approvalId,
    policy: request.policy,
    team: request.team,
    requestedBy: request.requestedBy,
    requesters: request.requesters,
    terms: request.terms,
    subject: request.subject,
    now,
  });
  approval.noEligibleApprover = await noEligibleApprover(deps, request);
  const created = await deps.approvals.create({
    approval,
    event: {
      at: now,
      actor: request.requestedBy,
      action: 'approval.requested',
      message: `${request.subject.summary}: ${request.policy} approval requested`,
      toStatus: 'PENDING',
    },
  });
  if (created === 'created' && approval.noEligibleApprover) {
    await deps.approvals.recordEvent(approval.id, {
      at: now,
      actor: WORKFLOW_ACTOR,
      action: 'approval.no-eligible-approver',
      message: approval.noEligibleApprover,
    });
    await deps.chat.post({
      channel: PLATFORM_CHANNEL,
      urgent: true,
      text: `:warning: Nobody can decide the approval for ${escapeMrkdwn(request.subject.summary)} (${approval.id}): ${escapeMrkdwn(approval.noEligibleApprover)}. Add an eligible person to the directory (team ${escapeMrkdwn(request.team)}).`,
    });
  }
  let stored = await loadApproval(deps.approvals, request.approvalId);
  if (!stored.slack) {
    const posted = await deps.chat.post({ channel: request.channel, ...approvalMessage(stored) });
    stored = await deps.approvals.update(stored.id, (current) =>
      current.slack
        ? undefined
        : {
            approval: { ...current, slack: posted },
            event: {
              at: deps.clock.now(),
              actor: WORKFLOW_ACTOR,
              action: 'approval.posted',
              message: `Posted to ${posted.channel}`,
            },
          },
    );
  }
  const expiresInSeconds = Math.max(1, Math.ceil((Date.parse(stored.expiresAt) - Date.parse(deps.clock.now())) / 1000));
  const [untilReminder, untilEscalation, untilExpiry] = reminderSchedule(stored.policy, expiresInSeconds);
  return { approvalId: stored.id, expiresInSeconds, waits: { untilReminder, untilEscalation, untilExpiry } };
}

/** Why nobody in the directory could decide this approval, on the terms it is created with; null when somebody can. */
async function noEligibleApprover(deps: { catalog: CatalogStore }, request: ApprovalRequest): Promise<string | null> {
  const terms = request.terms ?? termsOf({ policy: request.policy, team: request.team });
  const teams = [...new Set([...terms.eligibleTeams, ...(terms.mustInclude ? [terms.mustInclude] : [])])];
  const members = Object.fromEntries(
    await Promise.all(teams.map(async (team) => [team, await deps.catalog.membersOf(team)] as const)),
  );
  return missingApprovers(
    terms,
    request.requesters.length > 0
      ? request.requesters
      : requestersOf({ requesters: [], requestedBy: request.requestedBy }),
    members,
  );
}

/** Parks the approval workflow's task token; an approval decided in the meantime resumes it at once. */
export async function awaitDecision(
  deps: { approvals: ApprovalStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  input: { approvalId: string; taskToken: string },
): Promise<void> {
  await deps.waits.put({
    key: approvalWaitKey(input.approvalId),
    taskToken: input.taskToken,
    deploymentId: input.approvalId,
    createdAt: deps.clock.now(),
  });
  await resumeIfDecided(deps, await loadApproval(deps.approvals, input.approvalId));
}

/**
 * A decided approval resumes its workflow, however often this runs: a decision is final, so a
 * second signal says the same and finds the task closed (`resumeWithFinalOutcome`).
 */
export async function resumeIfDecided(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  approval: Approval,
): Promise<void> {
  if (approval.status === 'PENDING') return;
  const wait = await deps.waits.get(approvalWaitKey(approval.id));
  if (wait)
    await resumeWithFinalOutcome(deps, wait, {
      approvalId: approval.id,
      status: approval.status,
      reason: approval.reason,
    });
}

/**
 * What a decision or a vote leads to, made good again: the workflow resumed, then the message.
 * Resuming first, because a Slack outage must not keep a decided approval's workflow parked.
 */
async function settle(deps: { chat: Chat; waits: WaitStore; workflows: WorkflowEngine }, approval: Approval) {
  await resumeIfDecided(deps, approval);
  await refreshMessage(deps.chat, approval);
}

/** What counting a vote takes: the approval, its Slack message, its workflow and the metric. */
export interface VotingDeps {
  approvals: ApprovalStore;
  chat: Chat;
  waits: WaitStore;
  workflows: WorkflowEngine;
  clock: Clock;
  metrics: MetricsRecorder;
}

/**
 * A vote from Slack or the portal. The policy decides (domain); the write is conditional on the
 * revision read, so two people clicking in the same second cannot both decide. A refused vote
 * changes nothing but the audit trail, and says why.
 */
export async function voteOnApproval(
  deps: VotingDeps,
  input: {
    approvalId: string;
    voter: Person;
    /** The GitHub account the voter's sign-in says they are (the portal token's identity link). */
    githubClaim?: GithubIdentity | undefined;
    decision: Vote['decision'];
    comment?: string | undefined;
    via: Vote['via'];
  },
): Promise<VoteOutcome> {
  let outcome: VoteOutcome | undefined;
  const voter = {
    id: input.voter.id,
    name: displayNameOf(input.voter),
    teams: input.voter.teams,
    ...(input.voter.github ? { github: input.voter.github } : {}),
    ...(input.githubClaim ? { githubClaim: input.githubClaim } : {}),
  };
  const stored = await deps.approvals.update(input.approvalId, (current) => {
    outcome = castVote(
      current,
      voter,
      { decision: input.decision, comment: input.comment, via: input.via },
      deps.clock.now(),
    );
    if (outcome.kind === 'refused') return undefined;
    const decided = outcome.kind === 'decided';
    return {
      approval: outcome.approval,
      event: {
        at: deps.clock.now(),
        actor: voter.id,
        action: decided ? `approval.${outcome.approval.status.toLowerCase()}` : 'approval.vote',
        message: `${voter.name} voted ${input.decision} via ${input.via}${input.comment ? `: ${input.comment}` : ''}`,
        ...(decided ? { fromStatus: 'PENDING', toStatus: outcome.approval.status } : {}),
      },
    };
  });
  if (!outcome) throw new NotFoundError(`Approval ${input.approvalId} does not exist`);
  if (outcome.kind === 'refused') {
    await deps.approvals.recordEvent(input.approvalId, {
      at: deps.clock.now(),
      actor: voter.id,
      action: `approval.vote-refused.${outcome.code}`,
      message: `${voter.name} tried to ${input.decision.toLowerCase()} via ${input.via}: ${outcome.reason}`,
    });
    // A repeated click, or a click after the decision, may follow a run that recorded the vote
    // and died before signalling the workflow (a Lambda timeout): this one finishes that run.
    if (outcome.code === 'duplicate' || outcome.code === 'closed') await settle(deps, stored);
    return outcome;
  }
  await settle(deps, stored);
  if (outcome.kind === 'decided') {
    deps.metrics.milliseconds(
      'ApprovalLatency',
      Date.parse(stored.decidedAt ?? stored.createdAt) - Date.parse(stored.createdAt),
      { Policy: stored.policy, Outcome: stored.status },
    );
  }
  return { ...outcome, approval: stored };
}

/** Nobody decided in time: EXPIRED, and the message says so. */
export async function expireApproval(
  deps: { approvals: ApprovalStore; chat: Chat; clock: Clock },
  input: { approvalId: string },
): Promise<{ approvalId: string; status: Approval['status']; reason: string | null }> {
  const stored = await deps.approvals.update(input.approvalId, (current) => {
    const expired = closeApproval(current, 'EXPIRED', 'nobody decided before it expired', deps.clock.now());
    return expired
      ? {
          approval: expired,
          event: {
            at: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'approval.expired',
            message: 'Expired without a decision',
            fromStatus: 'PENDING',
            toStatus: 'EXPIRED',
          },
        }
      : undefined;
  });
  await refreshMessage(deps.chat, stored);
  return { approvalId: stored.id, status: stored.status, reason: stored.reason };
}

/** What the approval approved is no longer wanted (its deployment was aborted): VOID, and the workflow moves on. */
export async function voidApproval(
  deps: { approvals: ApprovalStore; chat: Chat; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  input: { approvalId: string; actor: string; reason: string },
): Promise<void> {
  // A decided approval stays as decided; a VOID one is settled again, for a retry whose Slack update failed.
  const existing = await deps.approvals.get(input.approvalId);
  if (!existing || (existing.status !== 'PENDING' && existing.status !== 'VOID')) return;
  const stored = await deps.approvals.update(input.approvalId, (current) => {
    const voided = closeApproval(current, 'VOID', input.reason, deps.clock.now());
    return voided
      ? {
          approval: voided,
          event: {
            at: deps.clock.now(),
            actor: input.actor,
            action: 'approval.void',
            message: input.reason,
            fromStatus: 'PENDING',
            toStatus: 'VOID',
          },
        }
      : undefined;
  });
  await settle(deps, stored);
}

/**
 * Voids what a deployment that is ending may still have open: its approval while it awaits one,
 * and the question of each wave whose bake was inconclusive. Such a deployment waits in the
 * approval workflow, not on a wait of its own, and a question left open still takes votes.
 */
export async function voidOpenApprovalsOf(
  deps: { approvals: ApprovalStore; chat: Chat; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  deployment: Pick<Deployment, 'id' | 'waves'>,
  by: { actor: string; reason: string },
): Promise<void> {
  // Every question the deployment may have asked, whatever its status says now: a retry comes
  // after the deployment has already ended, and voiding skips what is missing or decided.
  const open = [
    approvalIdFor(deployment.id),
    ...deployment.waves.map((wave) => bakeDecisionIdFor(deployment.id, wave.region)),
  ];
  for (const approvalId of open) await voidApproval(deps, { approvalId, ...by });
}

/**
 * Nobody decided yet: remind the approval's channel at half time; shortly before expiry remind it
 * again and escalate to platform-team. A decided approval gets no reminder.
 */
export async function remindApproval(
  deps: { approvals: ApprovalStore; chat: Chat; clock: Clock },
  input: { approvalId: string; kind: 'half-time' | 'escalation' },
): Promise<{ reminded: boolean }> {
  const approval = await loadApproval(deps.approvals, input.approvalId);
  if (approval.status !== 'PENDING') return { reminded: false };
  const text = `:bell: ${escapeMrkdwn(approval.subject.summary)} still needs a decision (${approval.votes.length} vote(s) so far); it expires at ${approval.expiresAt}.`;
  if (approval.slack) await deps.chat.post({ channel: approval.slack.channel, text });
  if (input.kind === 'escalation') {
    await deps.chat.post({
      channel: PLATFORM_CHANNEL,
      text: `:rotating_light: Escalation: ${escapeMrkdwn(approval.subject.summary)}, asked by ${escapeMrkdwn(
        requestersOf(approval)
          .map((requester) => requester.name)
          .join(' and '),
      )}, has no decision and expires at ${approval.expiresAt}.`,
      urgent: true,
    });
  }
  await deps.approvals.recordEvent(approval.id, {
    at: deps.clock.now(),
    actor: WORKFLOW_ACTOR,
    action: `approval.${input.kind === 'escalation' ? 'escalated' : 'reminded'}`,
    message:
      input.kind === 'escalation'
        ? `Reminded ${approval.slack?.channel ?? 'the channel'} and escalated to ${PLATFORM_CHANNEL}`
        : `Reminded ${approval.slack?.channel ?? 'the channel'} at half time`,
  });
  return { reminded: true };
}

/**
 * A workflow that waited for an approval ended without its decision (it was stopped, failed or
 * could not resume): the approval becomes VOID, so a later vote is refused with the reason
 * instead of counting for nothing.
 */
export async function voidApprovalOfEndedWorkflow(
  deps: { approvals: ApprovalStore; chat: Chat; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  execution: { name: string; status: string; cause?: string | undefined; input: unknown },
): Promise<void> {
  const request =
    typeof execution.input === 'object' && execution.input !== null
      ? (execution.input as { request?: { approvalId?: unknown } }).request
      : undefined;
  const approvalId = typeof request?.approvalId === 'string' ? request.approvalId : undefined;
  if (!approvalId || (await deps.approvals.get(approvalId))?.status !== 'PENDING') return;
  const why = execution.cause ? `: ${execution.cause}` : '';
  await voidApproval(deps, {
    approvalId,
    actor: WORKFLOW_ACTOR,
    reason: `its workflow ${execution.name} ended ${execution.status}${why}`,
  });
}
