import type { WebClient } from '@slack/web-api';
import { ENV, PUBLIC_API_URLS, optionalEnv, requireEnv } from '../../../config.js';
import { lazily } from '../lazily.js';
import { SlackChat } from '../slack-chat.js';
import { secretsManager } from './secrets.js';

// WebClient joins the method name onto the base URL, so the base URL must end with a slash.
const slackApiUrl = (): string => optionalEnv(ENV.slackApiUrl, PUBLIC_API_URLS.slack).replace(/\/?$/u, '/');

/**
 * The bot token is read from Secrets Manager, and the Slack client loaded, when a message is
 * first sent: a function that sends on some paths only pays for neither on the others.
 */
export const chat = () => {
  secretsManager.arnOf('slackBotToken');
  return new SlackChat(
    lazily(async (): Promise<WebClient> => {
      const [token, { WebClient }] = await Promise.all([secretsManager.get('slackBotToken'), import('@slack/web-api')]);
      return new WebClient(token, { slackApiUrl: slackApiUrl() });
    }),
    requireEnv(ENV.portalUrl),
  );
};
