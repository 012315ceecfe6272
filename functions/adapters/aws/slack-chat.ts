import type { WebClient } from '@slack/web-api';
import { absoluteLinks } from '../../domain/slack-text.js';
import type { Chat, ChatMessage, ChatUserProfile } from '../../ports/index.js';

/**
 * Slack through @slack/web-api. Urgent messages mention @here so the channel is paged; Flightplan's
 * relative links become absolute against `portalUrl`, since Slack cannot resolve them.
 */
export class SlackChat implements Chat {
  constructor(
    private readonly client: () => Promise<WebClient>,
    private readonly portalUrl: string,
  ) {}

  async post(unresolved: ChatMessage): Promise<{ channel: string; ts: string }> {
    const message = absoluteLinks(unresolved, this.portalUrl);
    const result = await (
      await this.client()
    ).chat.postMessage({
      channel: message.channel,
      text: message.urgent ? `<!here> ${message.text}` : message.text,
      ...(message.blocks ? { blocks: message.blocks as never } : {}),
    });
    if (!result.ok || !result.ts || !result.channel)
      throw new Error(`Slack chat.postMessage failed: ${result.error ?? 'no ts'}`);
    return { channel: result.channel, ts: result.ts };
  }

  async postEphemeral(channel: string, user: string, text: string): Promise<void> {
    const result = await (await this.client()).chat.postEphemeral({ channel, user, text });
    if (!result.ok) throw new Error(`Slack chat.postEphemeral failed: ${result.error ?? 'unknown'}`);
  }

  /** users.info: needs the users:read scope, and users:read.email for the profile's email. */
  async userProfile(user: string): Promise<ChatUserProfile | undefined> {
    try {
      const result = await (await this.client()).users.info({ user });
      if (!result.ok || !result.user?.id) return undefined;
      return {
        id: result.user.id,
        name: result.user.profile?.display_name || result.user.real_name || result.user.name || result.user.id,
        email: result.user.profile?.email,
        isBot: result.user.is_bot === true || result.user.is_app_user === true,
      };
    } catch (error) {
      // An unknown user is an answer; anything else (a missing scope, rate limits) is not.
      if ((error as { data?: { error?: string } }).data?.error === 'user_not_found') return undefined;
      throw error;
    }
  }

  async update(channel: string, ts: string, unresolved: Omit<ChatMessage, 'channel'>): Promise<void> {
    const message = absoluteLinks(unresolved, this.portalUrl);
    const result = await (
      await this.client()
    ).chat.update({ channel, ts, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}) });
    if (!result.ok) throw new Error(`Slack chat.update failed: ${result.error ?? 'unknown'}`);
  }
}
