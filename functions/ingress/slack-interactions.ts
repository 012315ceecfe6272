import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from '../zod.js';
import { slackVoteReceived } from '../../events/slack-vote-received.js';
import { UnauthorizedError, ValidationError } from '../errors.js';
import { header, httpHandler, parseJson, rawBody } from '../http/http-handler.js';
import { httpFunction } from '../declaration.js';

/** Slack refuses requests older than five minutes; so do we, against replays. */
const MAX_SKEW_SECONDS = 300;

const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().check(z.minLength(1)) }),
  channel: z.optional(z.object({ id: z.string() })),
  actions: z
    .array(
      z.object({
        action_id: z.enum(['approve', 'reject']),
        value: z.string().check(z.minLength(1)),
        action_ts: z.string().check(z.minLength(1)),
      }),
    )
    .check(z.minLength(1)),
});

/** Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. */
export function slackSignatureValid(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * POST /slack/interactions: the Approve / Reject buttons. Verified, parsed, published as one
 * `Slack Vote Received` event, then acknowledged with an empty 200 as Bolt's `ack()` does: Slack
 * allows 3 s, and counting the vote (directory, conditional write, signalling the workflow, the
 * message update) is the vote counter's job (functions/approval/count-slack-vote.ts), which
 * answers the clicker with an ephemeral message. The event is accepted by the bus before the ack,
 * so an acknowledged click is never lost; if the bus refuses it, Slack shows the click failed.
 */
export const declaration = httpFunction({
  description: 'POST /slack/interactions: verify the click, publish it, acknowledge',
  ports: ['bus', 'slackSigningSecret'],
  use: { publishes: [slackVoteReceived] },
  createHandler: (deps) =>
    httpHandler(async (event) => {
      const body = rawBody(event);
      const timestamp = header(event, 'x-slack-request-timestamp') ?? '';
      const signature = header(event, 'x-slack-signature') ?? '';
      const age = Math.abs(Date.now() / 1000 - Number(timestamp));
      if (!/^\d+$/u.test(timestamp) || !(age <= MAX_SKEW_SECONDS))
        throw new UnauthorizedError('X-Slack-Request-Timestamp is missing or more than 5 minutes off');
      if (!slackSignatureValid(await deps.slackSigningSecret.value(), timestamp, body, signature)) {
        throw new UnauthorizedError('X-Slack-Signature does not match the body');
      }
      const payload = new URLSearchParams(body).get('payload');
      if (!payload)
        throw new ValidationError('Slack interactions carry a form field named payload', [
          { path: 'payload', message: 'missing' },
        ]);
      const interaction = blockActionsSchema.parse(parseJson(payload));
      const [action] = interaction.actions;
      if (!action) throw new ValidationError('No action in the interaction');
      await deps.bus.publish([
        slackVoteReceived.build(
          {
            approvalId: action.value,
            slackUserId: interaction.user.id,
            decision: action.action_id === 'approve' ? 'APPROVE' : 'REJECT',
            ...(interaction.channel ? { channel: interaction.channel.id } : {}),
            actionTs: action.action_ts,
          },
          { causationId: `slack:${interaction.user.id}:${action.action_ts}` },
        ),
      ]);
      return { statusCode: 200, body: '' };
    }),
});
