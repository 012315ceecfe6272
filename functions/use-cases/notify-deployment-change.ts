import type { deploymentChanged } from '../../events/deployment-changed.js';
import { PLATFORM_CHANNEL, deployChannelOf } from '../domain/catalog.js';
import { chatNoticeFor, githubStatusFor } from '../domain/notifications.js';
import type { CatalogStore, Chat, GithubDeployments, MetricsRecorder } from '../ports/index.js';

const ENDED = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED', 'REJECTED', 'ABORTED']);

export type DeploymentChangedDetail = ReturnType<typeof deploymentChanged.parse>;

/** Tells the owning team's Slack channel and GitHub Deployments what a deployment change means. */
export async function notifyDeploymentChange(
  deps: { catalog: CatalogStore; chat: Chat; githubDeployments: GithubDeployments; metrics: MetricsRecorder },
  detail: DeploymentChangedDetail,
): Promise<{ chat: boolean; github: boolean }> {
  const service = await deps.catalog.getService(detail.deployment.service);
  const summary = { ...detail, deployment: { ...detail.deployment, repository: detail.deployment.repository ?? service?.repository ?? null } };
  const notice = chatNoticeFor(summary);
  if (notice) {
    const channel = service ? deployChannelOf(service) : `#deploys-${detail.deployment.team}`;
    await deps.chat.post({ channel, text: notice.text, urgent: notice.urgent });
    if (notice.urgent) await deps.chat.post({ channel: PLATFORM_CHANNEL, text: notice.text, urgent: true });
  }
  const status = githubStatusFor(summary);
  if (status) await deps.githubDeployments.setStatus(status);
  if (ENDED.has(detail.deployment.status) && detail.change.toStatus === detail.deployment.status) {
    deps.metrics.count('DeploymentsEnded', { Environment: detail.deployment.environment, Status: detail.deployment.status });
    if (detail.deployment.status === 'ROLLED_BACK') deps.metrics.count('Rollbacks', { Environment: detail.deployment.environment });
  }
  return { chat: notice !== undefined, github: status !== undefined };
}
