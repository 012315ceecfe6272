import { timingSafeEqual } from 'node:crypto';
import { argoCdAppStatusChanged } from '../../events/argocd-app-status-changed.js';
import {
  argoNotificationSchema,
  argoTargetOf,
  clusterMayNotReport,
  parseArgoClusters,
  type ArgoCluster,
} from '../domain/argocd-notification.js';
import { UnauthorizedError } from '../errors.js';
import { header, httpHandler, json, logger, parseJson, rawBody } from '../http/http-handler.js';
import { onAws } from '../adapters/aws/compose.js';
import { httpFunction } from '../declaration.js';

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cluster whose token this is; every token is compared, so timing says nothing about which. */
function clusterOf(token: string, setting: string): ArgoCluster | undefined {
  let found: ArgoCluster | undefined;
  for (const candidate of parseArgoClusters(setting))
    if (sameSecret(token, candidate.token) && !found) found = candidate.cluster;
  return found;
}

/**
 * POST /webhooks/argocd: an argocd-notifications webhook, authenticated with the bearer token of
 * one Argo CD cluster; a cluster may only report on the regions (and environments) it runs.
 */
export const declaration = httpFunction({
  description: 'POST /webhooks/argocd: authenticate the cluster, publish',
  ports: ['bus', 'argocdToken'],
  use: { publishes: [argoCdAppStatusChanged] },
  createHandler: (deps) =>
    httpHandler(async (event) => {
      const authorization = header(event, 'authorization') ?? '';
      const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
      const cluster = token ? clusterOf(token, await deps.argocdToken.value()) : undefined;
      if (!cluster) {
        throw new UnauthorizedError('Authorization: Bearer <FLIGHTPLAN_ARGOCD_TOKEN> is required');
      }
      const notification = argoNotificationSchema.parse(parseJson(rawBody(event)));
      const target = argoTargetOf(notification);
      if ('ignored' in target) return json(202, { status: 'ignored', reason: target.ignored });
      const outOfBounds = clusterMayNotReport(cluster, target);
      if (outOfBounds) {
        logger.warn('Argo CD notification ignored', {
          app: notification.app,
          cluster: cluster.name,
          reason: outOfBounds,
        });
        return json(202, { status: 'ignored', reason: outOfBounds });
      }
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
            cluster: cluster.name,
          },
          { causationId: `argocd:${notification.app}:${notification.revision}:${notification.event}` },
        ),
      ]);
      return json(202, { status: 'accepted', app: notification.app });
    }),
});

export const handler = onAws(declaration);
