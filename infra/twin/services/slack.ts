import {
  LOCAL_SLACK_TEAM_ID,
  RecordingChat,
  type RecordedMessage,
} from '../../../functions/adapters/local/recording-chat.js';
import { jsonResponse, serveOnLoopback, type RunningService, type ServiceRequest } from './http.js';

/** A Slack workspace member, as users.info and users.lookupByEmail answer. */
export interface SlackUser {
  id: string;
  name: string;
  email: string;
  realName?: string;
  isBot?: boolean;
  teamId?: string;
}

export interface SlackOptions {
  /**
   * The bot token calls must carry (`Authorization: Bearer xoxb-…`). A function, so it is read
   * from the twin's Secrets Manager when a call arrives rather than copied at start.
   */
  botToken: string | (() => string);
  /** Members to add at start; the demo adds its people over `POST /local/slack/users`, as on `npm start`. */
  users?: SlackUser[];
  /**
   * Shared with the twin's local controls: `GET /local/slack/messages` reads its messages and
   * `POST /local/slack/users` calls its `addUser`, which users.info answers from. A fresh one when absent.
   */
  chat?: RecordingChat;
  onError?: (error: unknown) => void;
  port?: number;
}

export interface RunningSlack extends RunningService {
  chat: RecordingChat;
  /** What `GET /local/slack/messages?channel=` answers on `npm start`: `{ items }`. */
  messages(channel?: string): { items: RecordedMessage[] };
  addUser(user: SlackUser): void;
  users(): SlackUser[];
  /** Every Web API call received, method and outcome, oldest first. */
  calls: { method: string; ok: boolean; error?: string }[];
}

type SlackArguments = Record<string, unknown>;
type SlackAnswer = { ok: true } & Record<string, unknown>;

class SlackPlatformError extends Error {
  constructor(readonly code: string) {
    super(code);
    this.name = 'SlackPlatformError';
  }
}

/** What SlackChat prefixes to an urgent message; recorded as `urgent: true`, as RecordingChat records it locally. */
const HERE_MENTION = '<!here> ';

/**
 * The Slack Web API methods Flightplan's bot calls (`POST /api/{method}`, form-encoded or JSON,
 * as @slack/web-api sends them), answering as Slack does: HTTP 200 with `ok` and an `error`
 * code. Messages are recorded by the same RecordingChat the local runtime reads back.
 */
export async function startSlack(options: SlackOptions): Promise<RunningSlack> {
  const chat = options.chat ?? new RecordingChat();
  // users.info answers from the chat's users (whoever added them); lookupByEmail also needs an
  // email index, which only addUser here keeps.
  const users: SlackUser[] = [];
  const addUser = (user: SlackUser) => {
    chat.addUser({ id: user.id, name: user.name, email: user.email, isBot: user.isBot ?? false, teamId: user.teamId });
    const index = users.findIndex((candidate) => candidate.id === user.id);
    if (index >= 0) users.splice(index, 1, user);
    else users.push(user);
  };
  for (const user of options.users ?? []) addUser(user);
  const calls: RunningSlack['calls'] = [];
  const botToken = typeof options.botToken === 'function' ? options.botToken : () => options.botToken as string;
  const profileOf = (user: SlackUser) => ({
    id: user.id,
    team_id: user.teamId ?? LOCAL_SLACK_TEAM_ID,
    name: user.name,
    real_name: user.realName ?? user.name,
    deleted: false,
    is_bot: user.isBot ?? false,
    profile: {
      ...(user.email ? { email: user.email } : {}),
      real_name: user.realName ?? user.name,
      display_name: user.name,
    },
  });

  const methods: Record<string, (args: SlackArguments) => Promise<SlackAnswer> | SlackAnswer> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://flightplan-twin.slack.com/',
      team: 'Flightplan twin',
      user: 'flightplan',
      team_id: LOCAL_SLACK_TEAM_ID,
      user_id: 'UFLIGHTPLAN',
      bot_id: 'BFLIGHTPLAN',
    }),
    'chat.postMessage': async (args) => {
      const channel = required(args, 'channel');
      const message = { channel, ...content(args) };
      const { ts } = await chat.post(message);
      return {
        ok: true,
        channel,
        ts,
        message: {
          type: 'message',
          user: 'UFLIGHTPLAN',
          bot_id: 'BFLIGHTPLAN',
          ts,
          text: args['text'] ?? '',
          ...(message.blocks ? { blocks: message.blocks } : {}),
        },
      };
    },
    'chat.update': async (args) => {
      const channel = required(args, 'channel');
      const ts = required(args, 'ts');
      try {
        await chat.update(channel, ts, content(args));
      } catch {
        throw new SlackPlatformError('message_not_found');
      }
      return { ok: true, channel, ts, text: args['text'] ?? '' };
    },
    'chat.postEphemeral': async (args) => {
      const channel = required(args, 'channel');
      const user = required(args, 'user');
      const before = chat.messages.length;
      await chat.postEphemeral(channel, user, typeof args['text'] === 'string' ? args['text'] : '');
      return { ok: true, message_ts: chat.messages[before]?.ts ?? '' };
    },
    'users.info': async (args) => {
      const profile = await chat.userProfile(required(args, 'user'));
      const teamId = profile && chat.teamOf(profile.id);
      if (!profile || !teamId) throw new SlackPlatformError('user_not_found');
      return {
        ok: true,
        user: profileOf({
          id: profile.id,
          name: profile.name,
          email: profile.email ?? '',
          isBot: profile.isBot,
          teamId,
        }),
      };
    },
    'users.lookupByEmail': (args) => {
      const email = required(args, 'email').toLowerCase();
      const user = users.find((candidate) => candidate.email.toLowerCase() === email);
      if (!user) throw new SlackPlatformError('users_not_found');
      return { ok: true, user: profileOf(user) };
    },
  };

  const running = await serveOnLoopback(
    async (request) => {
      const method = /^\/api\/([\w.]+)$/u.exec(request.url.pathname)?.[1];
      const handle = method === undefined ? undefined : methods[method];
      if (!method || !handle) return jsonResponse(404, { ok: false, error: 'unknown_method' });
      const args = argumentsOf(request);
      const token = tokenOf(request, args);
      let answer: Record<string, unknown>;
      if (!token) answer = { ok: false, error: 'not_authed' };
      else if (token !== botToken()) answer = { ok: false, error: 'invalid_auth' };
      else {
        try {
          answer = await handle(args);
        } catch (error) {
          if (!(error instanceof SlackPlatformError)) throw error;
          answer = { ok: false, error: error.code };
        }
      }
      const error = typeof answer['error'] === 'string' ? answer['error'] : undefined;
      calls.push({ method, ok: answer['ok'] === true, ...(error === undefined ? {} : { error }) });
      return jsonResponse(200, answer);
    },
    {
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.port === undefined ? {} : { port: options.port }),
    },
  );
  return {
    ...running,
    chat,
    messages: (channel) => ({ items: chat.messages.filter((message) => !channel || message.channel === channel) }),
    addUser,
    users: () => [...users],
    calls,
  };
}

function argumentsOf(request: ServiceRequest): SlackArguments {
  const contentType = request.headers['content-type'] ?? '';
  const text = request.body.toString('utf8');
  if (contentType.startsWith('application/json')) return text === '' ? {} : (JSON.parse(text) as SlackArguments);
  const form = new URLSearchParams(
    contentType.startsWith('application/x-www-form-urlencoded') ? text : request.url.search,
  );
  return Object.fromEntries([...form.entries()].map(([name, value]) => [name, decodeFormValue(name, value)]));
}

// A form field carries a JSON document for the arguments Slack takes structured (blocks, attachments).
const STRUCTURED_ARGUMENTS = new Set(['blocks', 'attachments', 'metadata']);
const decodeFormValue = (name: string, value: string): unknown =>
  STRUCTURED_ARGUMENTS.has(name) ? JSON.parse(value) : value;

function tokenOf(request: ServiceRequest, args: SlackArguments): string | undefined {
  const authorization = request.headers.authorization ?? '';
  if (authorization.startsWith('Bearer ')) return authorization.slice('Bearer '.length);
  return typeof args['token'] === 'string' ? args['token'] : undefined;
}

function required(args: SlackArguments, name: string): string {
  const value = args[name];
  if (typeof value !== 'string' || value === '')
    throw new SlackPlatformError(name === 'channel' ? 'channel_not_found' : `invalid_arguments`);
  return value;
}

function content(args: SlackArguments): { text: string; blocks?: unknown[]; urgent?: boolean } {
  const raw = typeof args['text'] === 'string' ? args['text'] : '';
  const urgent = raw.startsWith(HERE_MENTION);
  const blocks = Array.isArray(args['blocks']) ? (args['blocks'] as unknown[]) : undefined;
  return {
    text: urgent ? raw.slice(HERE_MENTION.length) : raw,
    ...(blocks ? { blocks } : {}),
    ...(urgent ? { urgent: true } : {}),
  };
}
