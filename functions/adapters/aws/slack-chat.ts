import type { WebClient } from '@slack/web-api';
import { absoluteLinks } from '../../domain/slack-text.js';
import type { Chat, ChatMessage, ChatUserProfile } from '../../ports/index.js';

type HomeWorkspace =
  | { kind: 'workspace'; teamId: string; enterpriseId: string | undefined }
  | { kind: 'organization'; enterpriseId: string };

/**
 * Slack through @slack/web-api. Urgent messages mention @here so the channel is paged; Flightplan's
 * relative links become absolute against `portalUrl`, since Slack cannot resolve them.
 */
export class SlackChat implements Chat {
  private home: Promise<HomeWorkspace> | undefined;

  constructor(
    private readonly client: () => Promise<WebClient>,
    private readonly portalUrl: string,
  ) {}

  /** The workspace (or, installed org-wide, the Enterprise Grid organization) of the bot, from auth.test, once. */
  private homeWorkspace(): Promise<HomeWorkspace> {
    if (!this.home) {
      const asked = (async (): Promise<HomeWorkspace> => {
        const result = await (await this.client()).auth.test();
        if (result.ok && result.is_enterprise_install && result.enterprise_id)
          return { kind: 'organization', enterpriseId: result.enterprise_id };
        if (!result.ok || !result.team_id) throw new Error(`Slack auth.test failed: ${result.error ?? 'no team_id'}`);
        return { kind: 'workspace', teamId: result.team_id, enterpriseId: result.enterprise_id || undefined };
      })();
      // A failed answer is asked again next time, not kept.
      asked.catch(() => {
        if (this.home === asked) this.home = undefined;
      });
      this.home = asked;
    }
    return this.home;
  }

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
      const [result, home] = await Promise.all([(await this.client()).users.info({ user }), this.homeWorkspace()]);
      if (!result.ok || !result.user?.id) return undefined;
      // Another workspace of the same Enterprise Grid organization is still the organization's.
      const sameOrganization =
        home.enterpriseId !== undefined && result.user.enterprise_user?.enterprise_id === home.enterpriseId;
      const ours = sameOrganization || (home.kind === 'workspace' && result.user.team_id === home.teamId);
      return {
        id: result.user.id,
        name: result.user.profile?.display_name || result.user.real_name || result.user.name || result.user.id,
        email: result.user.profile?.email,
        isBot: result.user.is_bot === true || result.user.is_app_user === true,
        fromAnotherWorkspace: !ours,
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
