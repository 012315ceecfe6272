import { timingSafeEqual } from 'node:crypto';
import { argoCdAppStatusChanged } from '../../events/argocd-app-status-changed.js';
import { argoNotificationSchema, argoTargetOf } from '../domain/argocd-notification.js';
import { UnauthorizedError } from '../errors.js';
import { header, httpHandler, json, parseJson, rawBody } from '../http/http-handler.js';
import { onAws } from '../adapters/aws/compose.js';
import { httpFunction } from '../declaration.js';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** POST /webhooks/argocd: an argocd-notifications webhook, authenticated with a bearer token. */
export const declaration = httpFunction({
  description: 'POST /webhooks/argocd: authenticate, publish',
  ports: ['bus', 'argocdToken'],
  createHandler: (deps) =>
  httpHandler(async (event) => {
    const authorization = header(event, 'authorization') ?? '';
    const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
    if (!token || !sameSecret(token, await deps.argocdToken.value())) {
      throw new UnauthorizedError('Authorization: Bearer <FLIGHTPLAN_ARGOCD_TOKEN> is required');
    }
    const notification = argoNotificationSchema.parse(parseJson(rawBody(event)));
    const target = argoTargetOf(notification);
    if ('ignored' in target) return json(202, { status: 'ignored', reason: target.ignored });
    await deps.bus.publish([
      argoCdAppStatusChanged.build(
        {
          app: notification.app,
          ...target,
          revision: notification.revision,
          syncStatus: notification.syncStatus,
          healthStatus: notification.healthStatus,
          ...(notification.operationPhase ? { operationPhase: notification.operationPhase } : {}),
          trigger: notification.event,
          observedAt: new Date(notification.timestamp).toISOString(),
        },
        { causationId: `argocd:${notification.app}:${notification.revision}:${notification.event}` },
      ),
    ]);
    return json(202, { status: 'accepted', app: notification.app });
  }),
});

export const handler = onAws(declaration);
