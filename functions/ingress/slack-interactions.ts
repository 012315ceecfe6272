import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { UnauthorizedError, ValidationError } from '../errors.js';
import { header, httpHandler, json, parseJson, rawBody } from '../http/http-handler.js';
import { escapeMrkdwn } from '../domain/slack-text.js';
import { httpFunction } from '../declaration.js';
import { voteOnApproval } from '../use-cases/approvals.js';
import { personForSlackUser } from '../use-cases/directory.js';

/** Slack refuses requests older than five minutes; so do we, against replays. */
const MAX_SKEW_SECONDS = 300;

const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string() }).optional(),
  actions: z.array(z.object({ action_id: z.enum(['approve', 'reject']), value: z.string().min(1) })).min(1),
});

/** Slack's v0 request signature: HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. */
export function slackSignatureValid(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const ephemeral = (text: string) =>
  json(200, { response_type: 'ephemeral', replace_original: false, text: escapeMrkdwn(text) });

/**
 * POST /slack/interactions: the Approve / Reject buttons. Verified, then one vote through the same
 * use case the portal uses; a refused vote gets an ephemeral reply with the reason.
 */
export const declaration = httpFunction({
  description: 'POST /slack/interactions: approval buttons',
  ports: ['approvals', 'catalog', 'chat', 'waits', 'workflows', 'clock', 'slackSigningSecret', 'metrics'],
  use: { workflows: { signals: ['approval'] } },
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
      const voter = await personForSlackUser(deps, interaction.user.id);
      if (voter.kind === 'unknown') return ephemeral(`${voter.reason}, so the vote was not counted.`);
      const outcome = await voteOnApproval(deps, {
        approvalId: action.value,
        voter: voter.person,
        decision: action.action_id === 'approve' ? 'APPROVE' : 'REJECT',
        via: 'slack',
      });
      if (outcome.kind === 'refused') {
        if (interaction.channel)
          await deps.chat.postEphemeral(interaction.channel.id, interaction.user.id, escapeMrkdwn(outcome.reason));
        return ephemeral(outcome.reason);
      }
      return ephemeral(
        outcome.kind === 'decided'
          ? `Thanks: the approval is now ${outcome.approval.status}.`
          : 'Thanks: your vote is recorded.',
      );
    }),
});
