import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { absoluteLinks } from '../../domain/slack-text.js';
import type { Chat, ChatMessage, ChatUserProfile } from '../../ports/index.js';

export interface RecordedMessage extends ChatMessage {
  ts: string;
  /** Set for an ephemeral message: only this Slack user saw it. */
  ephemeralTo?: string;
  postedAt: string;
  /** Every version of the message, oldest first, when it was updated. */
  history: Omit<ChatMessage, 'channel'>[];
}

/** The workspace the local runtime and the twin's Slack put their bot and their users in. */
export const LOCAL_SLACK_TEAM_ID = 'TFLIGHTPLAN';

/** A user as added: the workspace they are in, from which whether it is another one follows. */
type Member = Omit<ChatUserProfile, 'fromAnotherWorkspace'> & { teamId: string };

const profileOf = ({ teamId, ...member }: Member): ChatUserProfile => ({
  ...member,
  fromAnotherWorkspace: teamId !== LOCAL_SLACK_TEAM_ID,
});

type JournalLine =
  | { op: 'post'; message: RecordedMessage }
  | { op: 'update'; channel: string; ts: string; message: Omit<ChatMessage, 'channel'> };

/**
 * Slack, recorded: what would have been posted, readable at GET /local/slack/messages, with links made absolute as SlackChat makes them. Given a
 * file, the messages outlive the process as Slack's do (appended as JSON lines), so a workflow
 * resumed after a restart can still update the message it posted before. Also the workspace's
 * users, added with POST /local/slack/users (the demo adds its people again at every start).
 */
export class RecordingChat implements Chat {
  readonly messages: RecordedMessage[] = [];
  private readonly users = new Map<string, Member>();
  private sequence = 0;

  constructor(
    private readonly file?: string,
    private readonly portalUrl: () => string = () => 'http://127.0.0.1:3000',
  ) {
    if (!file || !existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as JournalLine;
      if (entry.op === 'post') this.messages.push(entry.message);
      else this.apply(entry.channel, entry.ts, entry.message);
    }
    this.sequence = this.messages.length;
  }

  addUser(user: {
    id: string;
    email?: string | undefined;
    name: string;
    isBot?: boolean | undefined;
    /** The Slack workspace they belong to: another one's is a Slack Connect guest. */
    teamId?: string | undefined;
  }): ChatUserProfile {
    const member = {
      id: user.id,
      name: user.name,
      email: user.email,
      isBot: user.isBot ?? false,
      teamId: user.teamId ?? LOCAL_SLACK_TEAM_ID,
    };
    this.users.set(user.id, member);
    return profileOf(member);
  }

  userProfile(user: string): Promise<ChatUserProfile | undefined> {
    const member = this.users.get(user);
    return Promise.resolve(member && profileOf(member));
  }

  /** The workspace of a user added here, as the twin's users.info answers it. */
  teamOf(user: string): string | undefined {
    return this.users.get(user)?.teamId;
  }

  post(unresolved: ChatMessage): Promise<{ channel: string; ts: string }> {
    const message = absoluteLinks(unresolved, this.portalUrl());
    this.sequence += 1;
    const ts = `${Math.floor(Date.now() / 1000)}.${String(this.sequence).padStart(6, '0')}`;
    const recorded: RecordedMessage = { ...message, ts, postedAt: new Date().toISOString(), history: [] };
    this.messages.push(recorded);
    this.record({ op: 'post', message: recorded });
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
    if (!this.apply(channel, ts, message)) return Promise.reject(new Error(`message_not_found: ${channel} ${ts}`));
    this.record({ op: 'update', channel, ts, message });
    return Promise.resolve();
  }

  private apply(channel: string, ts: string, message: Omit<ChatMessage, 'channel'>): boolean {
    const recorded = this.messages.find((candidate) => candidate.channel === channel && candidate.ts === ts);
    if (!recorded) return false;
    const { history: _history, ts: _ts, postedAt: _postedAt, channel: _channel, ...previous } = recorded;
    recorded.history.push(previous);
    Object.assign(recorded, message);
    return true;
  }

  private record(line: JournalLine): void {
    if (this.file) appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}
