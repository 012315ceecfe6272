import { createHmac } from 'node:crypto';
import { LOCAL_SLACK_TEAM_ID } from '../../functions/adapters/local/recording-chat.js';

/**
 * Slack interactivity requests as Slack sends them: a form-encoded `payload` field holding a
 * `block_actions` JSON document, signed with the v0 scheme. For the demo and the tests.
 */
export function signedBlockAction(options: {
  signingSecret: string;
  slackUserId: string;
  actionId: 'approve' | 'reject';
  approvalId: string;
  channel?: string;
  timestamp?: number;
}): { headers: Record<string, string>; body: string } {
  const payload = {
    type: 'block_actions',
    user: {
      id: options.slackUserId,
      username: options.slackUserId.slice(1).toLowerCase(),
      team_id: LOCAL_SLACK_TEAM_ID,
    },
    api_app_id: 'A0FLIGHTPLAN',
    team: { id: LOCAL_SLACK_TEAM_ID, domain: 'acme' },
    channel: { id: options.channel ?? 'C0DEPLOYS', name: 'deploys-payments' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: options.channel ?? 'C0DEPLOYS' },
    trigger_id: '1234.5678.abcd',
    response_url: `https://hooks.slack.com/actions/${LOCAL_SLACK_TEAM_ID}/1/abc`,
    actions: [
      {
        action_id: options.actionId,
        block_id: 'approval',
        value: options.approvalId,
        type: 'button',
        action_ts: String(Date.now() / 1000),
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', options.signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
    },
  };
}
