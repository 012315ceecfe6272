import { describeTerms, requestersOf, termsOf, type Approval } from './approval.js';
import { escapeMrkdwn as escape, escapeMrkdwnLine as escapeLine, mrkdwnLink } from './slack-text.js';

const STATUS_LINE: Record<Approval['status'], string> = {
  PENDING: ':hourglass_flowing_sand: Waiting for a decision',
  APPROVED: ':white_check_mark: Approved',
  REJECTED: ':x: Rejected',
  EXPIRED: ':alarm_clock: Expired without a decision',
  VOID: ':wastebasket: Void: what it approved changed',
};

/**
 * The Slack message for an approval: what, who asked, the policy, expiry, votes so far and, while
 * pending, Approve / Reject buttons that carry the approval id (never a task token).
 */
export function approvalMessage(approval: Approval): { text: string; blocks: unknown[] } {
  const terms = termsOf(approval);
  const requesters = [...new Set(requestersOf(approval).map((requester) => requester.name))].join(', ');
  const expires = Math.floor(Date.parse(approval.expiresAt) / 1000);
  const votes = approval.votes.map(
    (vote) =>
      `${vote.decision === 'APPROVE' ? ':+1:' : ':-1:'} ${escape(vote.voter)}${vote.comment ? `: ${escapeLine(vote.comment)}` : ''}`,
  );
  const text = `Approval ${approval.status === 'PENDING' ? 'needed' : approval.status.toLowerCase()}: ${escape(approval.subject.summary)}`;
  const blocks: unknown[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${text}*\nRequested by *${escape(requesters)}* · ${escape(describeTerms(terms))}, not a requester${terms.note ? `\n_${escape(terms.note)}_` : ''}`,
      },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Approves \`${escape(approval.subject.binding)}\`${approval.subject.link ? ` · ${mrkdwnLink(approval.subject.link, 'details')}` : ''}`,
        },
        { type: 'mrkdwn', text: `Expires <!date^${expires}^{date_short_pretty} {time}|${approval.expiresAt}>` },
      ],
    },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `${STATUS_LINE[approval.status]}${approval.reason ? ` (${escapeLine(approval.reason)})` : ''}${votes.length > 0 ? `\n${votes.join('\n')}` : ''}`,
      },
    },
  ];
  if (approval.status === 'PENDING') {
    // A bake question reads as what it decides; the actions stay approve / reject underneath.
    const [approveLabel, rejectLabel] =
      approval.subject.kind === 'bake' ? ['Continue', 'Roll back'] : ['Approve', 'Reject'];
    blocks.push({
      type: 'actions',
      block_id: 'approval',
      elements: [
        {
          type: 'button',
          action_id: 'approve',
          style: 'primary',
          text: { type: 'plain_text', text: approveLabel },
          value: approval.id,
        },
        {
          type: 'button',
          action_id: 'reject',
          style: 'danger',
          text: { type: 'plain_text', text: rejectLabel },
          value: approval.id,
        },
      ],
    });
  }
  return { text, blocks };
}
