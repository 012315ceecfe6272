import type { deploymentChanged } from '../../events/deployment-changed.js';
import { PLATFORM_CHANNEL, deployChannelOf } from '../domain/catalog.js';
import { announcedToPlatformTeam, chatNoticeFor, githubStatusFor } from '../domain/notifications.js';
import type { CatalogStore, Chat, GithubDeployments, MetricsRecorder } from '../ports/index.js';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { idempotentOnce, type Once } from './once.js';

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED']);

export type DeploymentChangedDetail = ReturnType<typeof deploymentChanged.parse>;

/**
 * Tells the owning team's Slack channel and GitHub Deployments what a deployment change means,
 * once per transition (deployment id and stored revision) and per destination: a redelivered or
 * replayed event posts nothing twice, and a retry after a failed GitHub call does not repost to Slack.
 */
export function notifyDeploymentChange(
  deps: {
    catalog: CatalogStore;
    chat: Chat;
    githubDeployments: GithubDeployments;
    metrics: MetricsRecorder;
    idempotency: BasePersistenceLayer;
  },
  detail: DeploymentChangedDetail,
): Promise<{ chat: boolean; github: boolean }> {
  const { idempotency, ...rest } = deps;
  return notifyOncePerTransition({ ...rest, once: idempotentOnce(idempotency, NOTICE_MEMORY) }, detail);
}

/** Longer than the bus's 24-hour retries and a replay from the archive within the week; IN_PROGRESS for the function's timeout. */
const NOTICE_MEMORY = { keyPrefix: 'deployment-notice', expiresAfterSeconds: 7 * 24 * 3600, inProgressSeconds: 30 };

/** The notices, each through `once`: the same transition delivered again posts nothing. */
export async function notifyOncePerTransition(
  deps: {
    catalog: CatalogStore;
    chat: Chat;
    githubDeployments: GithubDeployments;
    metrics: MetricsRecorder;
    once: Once;
  },
  detail: DeploymentChangedDetail,
): Promise<{ chat: boolean; github: boolean }> {
  const transition = `${detail.deployment.id}:${detail.deployment.revision ?? detail.meta.causationId}`;
  const service = await deps.catalog.getService(detail.deployment.service);
  const summary = {
    ...detail,
    deployment: { ...detail.deployment, repository: detail.deployment.repository ?? service?.repository ?? null },
  };
  const notice = chatNoticeFor(summary);
  if (notice) {
    const channel = service ? deployChannelOf(service) : `#deploys-${detail.deployment.team}`;
    await deps.once(`${transition}:chat:${channel}`, async () => {
      await deps.chat.post({ channel, text: notice.text, urgent: notice.urgent });
    });
    if (notice.urgent || announcedToPlatformTeam(summary)) {
      await deps.once(`${transition}:chat:${PLATFORM_CHANNEL}`, async () => {
        await deps.chat.post({ channel: PLATFORM_CHANNEL, text: notice.text, urgent: notice.urgent });
      });
    }
  }
  const status = githubStatusFor(summary);
  if (status) await deps.once(`${transition}:github`, () => deps.githubDeployments.setStatus(status));
  if (ENDED.has(detail.deployment.status) && detail.change.toStatus === detail.deployment.status) {
    await deps.once(`${transition}:metrics`, () => {
      deps.metrics.count('DeploymentsEnded', {
        Environment: detail.deployment.environment,
        Status: detail.deployment.status,
      });
      if (detail.deployment.status === 'ROLLED_BACK')
        deps.metrics.count('Rollbacks', { Environment: detail.deployment.environment });
      return Promise.resolve();
    });
  }
  return { chat: notice !== undefined, github: status !== undefined };
}
