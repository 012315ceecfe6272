import { deploymentChanged } from '../events/deployment-changed.js';
import { awsCatalogStore, awsChat, awsGithubDeployments, awsIdempotencyStore, awsMetrics } from './adapters/aws/factories.js';
import { powertoolsOnce } from './adapters/aws/powertools-once.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { notifyDeploymentChange } from './use-cases/notify-deployment-change.js';

/** Longer than the bus's 24-hour retries, and than a replay from the archive someone runs within the week. */
const NOTICE_MEMORY_SECONDS = 7 * 24 * 3600;

/** Target of the NotifyDeploymentChanged rule: Slack and GitHub Deployment statuses, once per transition. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'chat' | 'githubDeployments' | 'metrics' | 'idempotency'>) =>
  busEventHandler(
    (detail) => deploymentChanged.parse(detail),
    (detail, _event, context) =>
      notifyDeploymentChange({ ...deps, once: powertoolsOnce(deps.idempotency, { keyPrefix: 'deployment-notice', expiresAfterSeconds: NOTICE_MEMORY_SECONDS, context }) }, detail),
  );

export const handler = onAws(() =>
  createHandler({ catalog: awsCatalogStore(), chat: awsChat(), githubDeployments: awsGithubDeployments(), metrics: awsMetrics(), idempotency: awsIdempotencyStore() }),
);
