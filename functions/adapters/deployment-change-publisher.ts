import { deploymentChanged } from '../../events/deployment-changed.js';
import type { Deployment, DeploymentChange, DeploymentEvent } from '../domain/deployment.js';
import type { DeploymentStore, EventPublisher, PublishingDeploymentStore } from '../ports/index.js';

/**
 * The `deployments` port over any DeploymentStore: publishes every stored deployment change as a
 * `Deployment Changed` event, so notifications (Slack, GitHub Deployments) happen in their own
 * function with the bus's retries, and a slow Slack never fails a deployment step.
 */
export class DeploymentChangePublisher implements PublishingDeploymentStore {
  constructor(
    private readonly inner: DeploymentStore,
    private readonly bus: EventPublisher,
  ) {}

  async create(change: DeploymentChange): Promise<'created' | 'exists'> {
    const result = await this.inner.create(change);
    if (result === 'created') await this.publish(change.deployment, change.event);
    return result;
  }

  async update(id: string, decide: (current: Deployment) => DeploymentChange | undefined): Promise<Deployment> {
    let applied: DeploymentChange | undefined;
    const stored = await this.inner.update(id, (current) => {
      applied = decide(current);
      return applied;
    });
    if (applied) await this.publish(stored, applied.event);
    return stored;
  }

  get(id: string) {
    return this.inner.get(id);
  }

  list(...args: Parameters<DeploymentStore['list']>) {
    return this.inner.list(...args);
  }

  events(id: string, untilRevision?: number) {
    return this.inner.events(id, untilRevision);
  }

  queueHead(...args: Parameters<DeploymentStore['queueHead']>) {
    return this.inner.queueHead(...args);
  }

  markVersionBad(...args: Parameters<DeploymentStore['markVersionBad']>) {
    return this.inner.markVersionBad(...args);
  }

  badVersion(...args: Parameters<DeploymentStore['badVersion']>) {
    return this.inner.badVersion(...args);
  }

  private publish(deployment: Deployment, event: DeploymentEvent): Promise<void> {
    const repository = deployment.trigger.kind === 'manual' ? null : deployment.trigger.repository;
    return this.bus.publish([
      deploymentChanged.build(
        {
          deployment: {
            id: deployment.id,
            service: deployment.service,
            team: deployment.team,
            environment: deployment.environment,
            version: deployment.version,
            gitSha: deployment.gitSha,
            status: deployment.status,
            mode: deployment.mode,
            revision: deployment.revision,
            requestedBy: deployment.requestedBy,
            repository,
            waves: deployment.waves.map((wave) => ({ region: wave.region, status: wave.status })),
          },
          change: {
            at: event.at,
            actor: event.actor,
            action: event.action,
            message: event.message,
            ...(event.region ? { region: event.region } : { ...(event.toStatus ? { toStatus: event.toStatus } : {}) }),
          },
        },
        { correlationId: deployment.id, causationId: `deployment:${deployment.id}:${String(deployment.revision)}` },
      ),
    ]);
  }
}
