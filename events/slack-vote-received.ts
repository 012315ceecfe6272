import * as z from '../functions/zod.js';
import { defineEvent } from './envelope.js';

export const SLACK_VOTE_RECEIVED_DETAIL_TYPE = 'Slack Vote Received';

/**
 * Somebody clicked Approve or Reject on an approval message, and Slack signed the click. The
 * ingress acknowledged it at once (Slack allows 3 s); the vote counter decides and answers the
 * clicker with an ephemeral message in `channel`.
 */
export const slackVoteReceived = defineEvent({
  source: 'flightplan.slack',
  detailType: SLACK_VOTE_RECEIVED_DETAIL_TYPE,
  dataSchema: z.object({
    approvalId: z.string().check(z.minLength(1)),
    slackUserId: z.string().check(z.minLength(1)),
    decision: z.enum(['APPROVE', 'REJECT']),
    /** Where the clicker sees the answer; absent when Slack sent no channel (then only the message update answers). */
    channel: z.optional(z.string().check(z.minLength(1))),
    /** Slack's `action_ts`: one click, whatever Slack retries or the bus redelivers. */
    actionTs: z.string().check(z.minLength(1)),
  }),
});

export const countSlackVotePattern = {
  source: ['flightplan.slack'],
  'detail-type': [SLACK_VOTE_RECEIVED_DETAIL_TYPE],
} as const;

export const slackVoteReceivedSample = slackVoteReceived.build(
  {
    approvalId: 'orders-api-prod-v3.0.0-1a2b3c.approval',
    slackUserId: 'UBOB',
    decision: 'APPROVE',
    channel: 'C0DEPLOYS',
    actionTs: '1700000000.000200',
  },
  { causationId: 'slack:1700000000.000200' },
);
