import * as z from '../../functions/zod.js';
import type { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import type { HealthSimulator } from '../../functions/adapters/local/local-adapters.js';
import { environmentSchema } from '../../functions/domain/catalog.js';
import { json, parseJson, type HttpEvent, type HttpResult } from '../../functions/http/http-handler.js';
import { problemFor, problemResponse } from '../../functions/http/problem.js';
import { type LocalRoute } from './http-server.js';
import type { LocalBus } from './local-bus.js';

const simHealthSchema = z.object({
  service: z.string().check(z.minLength(1)),
  environment: environmentSchema,
  region: z.string().check(z.minLength(1)),
  healthy: z.boolean(),
  errorRate: z.optional(z.number().check(z.gte(0), z.lte(1))),
  p99Ms: z.optional(z.number().check(z.gte(0))),
  /** Requests seen in the window; a bake with too few is inconclusive. */
  requestCount: z.optional(z.number().check(z.int(), z.gte(0))),
});
const simAlarmSchema = z.object({
  service: z.string().check(z.minLength(1)),
  /** Alarms are named `{service}-{environment}-…`; the default name says which environment. */
  environment: z._default(environmentSchema, 'prod'),
  region: z.string().check(z.minLength(1)),
  state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  alarmName: z.optional(z.string().check(z.minLength(1))),
});

export const control = (
  method: string,
  path: string,
  handle: (event: HttpEvent) => Promise<HttpResult> | HttpResult,
): LocalRoute => ({
  method,
  path,
  auth: 'none',
  handle: async (event) => {
    try {
      return await handle(event);
    } catch (error) {
      return problemResponse(problemFor(error));
    }
  },
});

export const slackUserSchema = z.strictObject({
  id: z.string().check(z.regex(/^[UW][A-Z0-9]{2,20}$/u, 'a Slack user id such as UALICE')),
  email: z.optional(z.email()),
  name: z.string().check(z.minLength(1)),
  isBot: z.optional(z.boolean()),
  /** Their Slack workspace, when it is not Flightplan's own: a Slack Connect guest. */
  teamId: z.optional(z.string().check(z.regex(/^T[A-Z0-9]{2,20}$/u, 'a Slack team id such as TPARTNER'))),
});

export function localControlRoutes(
  health: HealthSimulator,
  bus: LocalBus,
  chat: RecordingChat,
  timeScale: number,
  isReady: () => boolean,
): LocalRoute[] {
  return [
    // The time scale lets clients (the CLI's bake countdown, the console) run their clocks at the runtime's speed.
    control('GET', '/healthz', () =>
      isReady() ? json(200, { status: 'ok', timeScale }) : json(503, { status: 'starting', timeScale }),
    ),
    control('GET', '/local/slack/messages', (event) => {
      const channel = event.queryStringParameters?.['channel'];
      return json(200, { items: chat.messages.filter((message) => !channel || message.channel === channel) });
    }),
    control('POST', '/local/sim/health', (event) => setSimulatedHealth(health, event.body)),
    control('GET', '/local/sim/metrics', () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: health.metrics(),
    })),
    control('POST', '/local/sim/alarm', async (event) => {
      const alarm = setSimulatedAlarm(health, event.body);
      // What the regional forwarding stack delivers to the home bus on AWS.
      await bus.publish([{ source: alarm.source, detailType: alarm.detailType, ...alarm.entry }]);
      return alarm.answer;
    }),
  ];
}

/** `POST /local/sim/health`: what the health simulator answers for a service and region from now on. */
export function setSimulatedHealth(health: HealthSimulator, body: string | undefined): HttpResult {
  const request = simHealthSchema.parse(parseJson(body ?? ''));
  health.setHealth(request, {
    healthy: request.healthy,
    ...(request.errorRate === undefined ? {} : { errorRate: request.errorRate }),
    ...(request.p99Ms === undefined ? {} : { p99Ms: request.p99Ms }),
    ...(request.requestCount === undefined ? {} : { requestCount: request.requestCount }),
  });
  return json(200, { ...request, status: 'set' });
}

/**
 * `POST /local/sim/alarm`: sets the alarm on the health simulator and gives the CloudWatch
 * "Alarm State Change" event it makes. Alarms are named `{service}-{environment}-{region}-…`:
 * the environment in the name is how a PROD alarm is told from an HML one.
 */
export function setSimulatedAlarm(health: HealthSimulator, body: string | undefined) {
  const request = simAlarmSchema.parse(parseJson(body ?? ''));
  const alarmName = request.alarmName ?? `${request.service}-${request.environment}-${request.region}-simulated`;
  health.setAlarm(request.service, request.region, alarmName, request.state === 'ALARM');
  return {
    source: 'aws.cloudwatch',
    detailType: 'CloudWatch Alarm State Change',
    entry: {
      resources: [`arn:aws:cloudwatch:${request.region}:000000000000:alarm:${alarmName}`],
      region: request.region,
      detail: {
        alarmName,
        state: { value: request.state, reason: 'Set by POST /local/sim/alarm', timestamp: new Date().toISOString() },
        configuration: { description: `Simulated alarm for ${request.service}` },
      },
    },
    answer: json(200, {
      service: request.service,
      environment: request.environment,
      region: request.region,
      alarmName,
      state: request.state,
    }),
  };
}
