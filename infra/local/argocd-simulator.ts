import type { GitRepoGitOps } from '../../functions/adapters/local/git-repo-gitops.js';
import { ARGO_LABELS } from '../../functions/domain/argocd-notification.js';
import { environmentSchema } from '../../functions/domain/catalog.js';
import { argoAppName } from '../../functions/domain/rollout-plan.js';
import type { HealthSimulator } from '../../functions/adapters/local/local-adapters.js';

/** How long Argo CD takes to notice a commit and finish syncing, before FLIGHTPLAN_TIME_SCALE. */
const SYNC_SECONDS = 30;
const POLL_MS = 200;

/**
 * Argo CD, simulated: watches the local GitOps repository and, for each commit that changes an
 * application's image, posts the notification the real argocd-notifications templates in
 * `integrations/argocd/` send (synced and healthy, or degraded when the health simulator says so).
 */
export class ArgoCdSimulator {
  private lastSeen: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private paused = false;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly options: {
      gitops: GitRepoGitOps;
      health: HealthSimulator;
      webhookUrl: string;
      token: string;
      timeScale: number;
      onError: (error: unknown) => void;
    },
  ) {}

  async start(): Promise<void> {
    this.lastSeen = await this.options.gitops.head();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  /** Holds syncs back, like an Argo CD that is slow or down; commits seen meanwhile sync on resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  stop(): void {
    clearInterval(this.timer);
    for (const timeout of this.pending) clearTimeout(timeout);
    this.pending.clear();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.paused) return;
    this.polling = true;
    try {
      for (const change of await this.options.gitops.changesSince(this.lastSeen)) {
        this.lastSeen = change.revision;
        for (const path of change.paths) this.scheduleSync(path, change.revision);
      }
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.polling = false;
    }
  }

  private scheduleSync(path: string, revision: string): void {
    const match = /^apps\/([^/]+)\/([^/]+)\/([^/]+)\/image\.yaml$/u.exec(path);
    const environment = environmentSchema.safeParse(match?.[2]);
    if (!match?.[1] || !match[3] || !environment.success) return;
    const target = { service: match[1], environment: environment.data, region: match[3] };
    const timeout = setTimeout(
      () => {
        this.pending.delete(timeout);
        void this.notify(target, revision).catch(this.options.onError);
      },
      (SYNC_SECONDS * 1000) / this.options.timeScale,
    );
    this.pending.add(timeout);
  }

  private async notify(
    target: { service: string; environment: 'hml' | 'prod'; region: string },
    revision: string,
  ): Promise<void> {
    const healthy = this.options.health.healthOf(target).healthy;
    const body = {
      app: argoAppName(target.service, target.environment, target.region),
      project: 'default',
      event: healthy ? 'app-deployed' : 'app-health-degraded',
      labels: {
        [ARGO_LABELS.service]: target.service,
        [ARGO_LABELS.environment]: target.environment,
        [ARGO_LABELS.region]: target.region,
      },
      revision,
      syncStatus: 'Synced',
      healthStatus: healthy ? 'Healthy' : 'Degraded',
      operationPhase: 'Succeeded',
      timestamp: new Date().toISOString(),
    };
    const response = await fetch(this.options.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
      body: JSON.stringify(body),
    });
    if (response.status !== 202)
      throw new Error(
        `Argo CD simulator: ${this.options.webhookUrl} answered ${response.status}: ${await response.text()}`,
      );
  }
}
