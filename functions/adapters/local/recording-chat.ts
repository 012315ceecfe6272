import { absoluteLinks } from '../../domain/slack-text.js';
import type { Chat, ChatMessage } from '../../ports/index.js';

export interface RecordedMessage extends ChatMessage {
  ts: string;
  /** Set for an ephemeral message: only this Slack user saw it. */
  ephemeralTo?: string;
  postedAt: string;
  /** Every version of the message, oldest first, when it was updated. */
  history: Omit<ChatMessage, 'channel'>[];
}

/** Slack, recorded: what would have been posted (links made absolute, as SlackChat does), readable at GET /local/slack/messages. */
export class RecordingChat implements Chat {
  readonly messages: RecordedMessage[] = [];
  private sequence = 0;

  constructor(private readonly portalUrl: () => string = () => 'http://127.0.0.1:3000') {}

  post(unresolved: ChatMessage): Promise<{ channel: string; ts: string }> {
    const message = absoluteLinks(unresolved, this.portalUrl());
    this.sequence += 1;
    const ts = `${Math.floor(Date.now() / 1000)}.${String(this.sequence).padStart(6, '0')}`;
    this.messages.push({ ...message, ts, postedAt: new Date().toISOString(), history: [] });
    return Promise.resolve({ channel: message.channel, ts });
  }

  postEphemeral(channel: string, user: string, text: string): Promise<void> {
    return this.post({ channel, text }).then(({ ts }) => {
      const recorded = this.messages.find((message) => message.ts === ts);
      if (recorded) recorded.ephemeralTo = user;
    });
  }

  update(channel: string, ts: string, unresolved: Omit<ChatMessage, 'channel'>): Promise<void> {
    const message = absoluteLinks(unresolved, this.portalUrl());
    const recorded = this.messages.find((candidate) => candidate.channel === channel && candidate.ts === ts);
    if (!recorded) return Promise.reject(new Error(`message_not_found: ${channel} ${ts}`));
    const { history: _history, ts: _ts, postedAt: _postedAt, channel: _channel, ...previous } = recorded;
    recorded.history.push(previous);
    Object.assign(recorded, message);
    return Promise.resolve();
  }
}
