import { deploymentChanged } from '../events/deployment-changed.js';
import { awsCatalogStore, awsChat, awsGithubDeployments, awsMetrics } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { notifyDeploymentChange } from './use-cases/notify-deployment-change.js';

/** Target of the NotifyDeploymentChanged rule: Slack and GitHub Deployment statuses. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'chat' | 'githubDeployments' | 'metrics'>) =>
  busEventHandler((detail) => deploymentChanged.parse(detail), (detail) => notifyDeploymentChange(deps, detail));

export const handler = onAws(() => createHandler({ catalog: awsCatalogStore(), chat: awsChat(), githubDeployments: awsGithubDeployments(), metrics: awsMetrics() }));
