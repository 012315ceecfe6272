import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { GithubSimulator } from '../../functions/adapters/local/github-simulator.js';
import type { HealthSimulator } from '../../functions/adapters/local/local-adapters.js';
import type { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import { ENV, LOCAL_DEFAULTS, optionalEnv } from '../../functions/config.js';
import { json, parseJson, type HttpEvent, type HttpResult } from '../../functions/http/http-handler.js';
import type { SelfServiceSettings } from '../../functions/ports/index.js';
import { deliverGithubWebhook } from '../local/github-payloads.js';
import { lambdaContext } from '../local/lambda-context.js';
import type { LocalRoute } from '../local/http-server.js';
import { control, setSimulatedAlarm, setSimulatedHealth, slackUserSchema } from '../local/control-routes.js';
import { githubControlRoutes } from '../local/github-controls.js';
import type { DeadLetter } from './eventbridge.js';
import type { FunctionStats } from './lambda.js';

export type ControlRoute = LocalRoute & { matcher: RegExp; parameters: string[] };

export interface ControlDependencies {
  health: HealthSimulator;
  chat: RecordingChat;
  github: GithubSimulator;
  selfService: SelfServiceSettings;
  /** Puts an event on a region's default bus as AWS does (CloudWatch's alarm state changes). */
  putAlarmEvent: (entry: PutEventsRequestEntry, region: string) => Promise<void>;
  webhookUrl: () => string;
  functions: () => FunctionStats[];
  endpoints: () => Record<string, string>;
  operator: { accessKeyId: string };
  api: () => object[];
  deadLetters: () => DeadLetter[];
}

/**
 * What the twin serves itself, beside the API: the local controls `npm start` has (so scenarios
 * and the demo run unchanged), and what the twin shows about itself under /twin.
 */
export function twinControlRoutes(deps: ControlDependencies): ControlRoute[] {
  const routes: LocalRoute[] = [
    control('GET', '/healthz', () => json(200, { status: 'ok', runtime: 'twin' })),
    control('GET', '/local/slack/messages', (event) => {
      const channel = event.queryStringParameters?.['channel'];
      return json(200, { items: deps.chat.messages.filter((message) => !channel || message.channel === channel) });
    }),
    // Someone joins the workspace: the Slack emulation's users.info answers for them from then on.
    control('POST', '/local/slack/users', (event) => {
      const user = slackUserSchema.parse(parseJson(event.body ?? '{}'));
      return json(200, deps.chat.addUser(user));
    }),
    control('POST', '/local/sim/health', (event) => setSimulatedHealth(deps.health, event.body)),
    control('POST', '/local/sim/alarm', async (event) => {
      const alarm = setSimulatedAlarm(deps.health, event.body);
      // CloudWatch puts the state change on the default bus of the alarm's region; the forwarding stack does the rest.
      await deps.putAlarmEvent(
        {
          Source: alarm.source,
          DetailType: alarm.detailType,
          Resources: alarm.entry.resources,
          Detail: JSON.stringify(alarm.entry.detail),
        },
        alarm.entry.region,
      );
      return alarm.answer;
    }),
    ...githubControlRoutes(deps.github, deps.selfService, (eventName, payload) =>
      deliverGithubWebhook(
        deps.webhookUrl(),
        optionalEnv(ENV.githubWebhookSecret, LOCAL_DEFAULTS.githubWebhookSecret),
        eventName,
        payload,
      ),
    ),
    control('GET', '/twin/functions', () => json(200, { items: deps.functions() })),
    control('GET', '/twin/endpoints', () =>
      json(200, { ...deps.endpoints(), operatorAccessKeyId: deps.operator.accessKeyId, region: 'us-east-1' }),
    ),
    control('GET', '/twin/api', () => json(200, { routes: deps.api() })),
    control('GET', '/twin/dead-letters', () => json(200, { items: deps.deadLetters() })),
  ];
  return routes.map((route) => {
    const parameters: string[] = [];
    const source = route.path.replace(/\{(\w+)\}/gu, (_match, name: string) => {
      parameters.push(name);
      return '([^/]+)';
    });
    return { ...route, matcher: new RegExp(`^${source}$`, 'u'), parameters };
  });
}

/** Serves a control route if one matches; answers false otherwise. */
export async function serveControl(
  routes: ControlRoute[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  const route = routes.find((candidate) => candidate.method === method && candidate.matcher.test(url.pathname));
  if (!route) return false;
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const match = route.matcher.exec(url.pathname);
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, [value ?? ''].flat().join(',')]),
  );
  const query = Object.fromEntries(url.searchParams.entries());
  const event = {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    pathParameters: Object.fromEntries(
      route.parameters.map((name, index) => [name, decodeURIComponent(match?.[index + 1] ?? '')]),
    ),
    requestContext: { requestId: randomUUID(), http: { method, path: url.pathname } },
    body: Buffer.concat(chunks).toString('utf8'),
    isBase64Encoded: false,
  } as unknown as HttpEvent;
  const result: HttpResult = await route.handle(event, lambdaContext('twin-control'));
  const body = result.body ?? '';
  response.writeHead(result.statusCode ?? 200, {
    ...Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)])),
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
  return true;
}
