import { escapeMrkdwn as escape, mrkdwnLink } from './slack-text.js';

/** What Slack and GitHub hear about a deployment change. Pure: the notifier only delivers it. */
export interface DeploymentChangeSummary {
  deployment: {
    id: string;
    service: string;
    team: string;
    environment: string;
    version: string;
    gitSha: string | null;
    status: string;
    mode?: 'standard' | 'rollback';
    requestedBy: string;
    repository: string | null;
    waves: { region: string; status: string }[];
  };
  change: { action: string; message: string; region?: string | undefined };
}

export interface ChatNotice {
  text: string;
  /** Pages: the message is marked urgent and also goes to the platform-team channel. */
  urgent: boolean;
}

export type GithubDeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive';

export interface GithubStatusNotice {
  repository: string;
  ref: string;
  /** One GitHub environment per Flightplan environment and region, e.g. `prod-us-east-1`. */
  environment: string;
  state: GithubDeploymentState;
  description: string;
}

const CHAT_ACTIONS: Record<string, { icon: string; urgent?: boolean }> = {
  'deployment.started': { icon: ':rocket:' },
  'wave.blocked': { icon: ':no_entry:' },
  'wave.override': { icon: ':warning:', urgent: true },
  'wave.gate-passed': { icon: ':white_check_mark:' },
  'wave.baked': { icon: ':bread:' },
  'wave.gate-failed': { icon: ':x:' },
  'wave.bake-failed': { icon: ':x:' },
  'wave.bake-inconclusive': { icon: ':grey_question:' },
  'wave.rolling-back': { icon: ':rewind:' },
  'deployment.succeeded': { icon: ':tada:' },
  'deployment.rolled-back': { icon: ':leftwards_arrow_with_hook:' },
  'deployment.aborted': { icon: ':octagonal_sign:' },
  'deployment.superseded': { icon: ':fast_forward:' },
  'deployment.failed': { icon: ':rotating_light:', urgent: true },
  'deployment.rollback-failed': { icon: ':rotating_light:', urgent: true },
  'deployment.refused': { icon: ':no_entry_sign:' },
  'deployment.rollback-requested': { icon: ':leftwards_arrow_with_hook:' },
};

const ROLLBACK_ANNOUNCED = new Set([
  'deployment.rollback-requested',
  'deployment.succeeded',
  'deployment.rolled-back',
  'deployment.aborted',
  'deployment.failed',
  'deployment.rollback-failed',
  'deployment.refused',
  'deployment.superseded',
]);

/**
 * Every rollback is announced in the platform-team channel, when asked for and when it ends: a
 * rollback skips the approval and the bake, so the people who own the platform hear of each one.
 */
export function announcedToPlatformTeam(summary: DeploymentChangeSummary): boolean {
  return summary.deployment.mode === 'rollback' && ROLLBACK_ANNOUNCED.has(summary.change.action);
}

/** Start, each wave, rollback and the end go to the owning team's channel; failures that need a human page. */
export function chatNoticeFor(summary: DeploymentChangeSummary): ChatNotice | undefined {
  const action = CHAT_ACTIONS[summary.change.action];
  if (!action) return undefined;
  const { deployment } = summary;
  const firstLine = summary.change.message.split('\n')[0] ?? '';
  return {
    text: `${action.icon} *${escape(deployment.service)}* ${escape(deployment.version)} → ${deployment.environment}: ${escape(firstLine)} (${mrkdwnLink(`/v1/deployments/${encodeURIComponent(deployment.id)}`, 'details')})`,
    urgent: action.urgent === true,
  };
}

const GITHUB_STATES: Record<string, GithubDeploymentState> = {
  'wave.deploying': 'in_progress',
  'wave.gate-passed': 'success',
  'wave.baked': 'success',
  'wave.gate-failed': 'failure',
  'wave.bake-failed': 'failure',
  'wave.bake-inconclusive': 'failure',
  'wave.rolled-back': 'inactive',
  'wave.rollback-failed': 'failure',
};

/**
 * GitHub Deployments, one per environment and region: in_progress when the digest is committed,
 * success when the wave is done (after its bake, if any), failure when it fails, inactive once
 * rolled back.
 */
export function githubStatusFor(summary: DeploymentChangeSummary): GithubStatusNotice | undefined {
  const { deployment, change } = summary;
  const state = GITHUB_STATES[change.action];
  if (!state || !change.region || !deployment.repository) return undefined;
  const wave = deployment.waves.find((candidate) => candidate.region === change.region);
  // A gate pass that starts a bake is not yet a success: the bake decides.
  if (change.action === 'wave.gate-passed' && wave?.status === 'BAKING') return undefined;
  return {
    repository: deployment.repository,
    ref: deployment.gitSha ?? deployment.version,
    environment: `${deployment.environment}-${change.region}`,
    state,
    description: (change.message.split('\n')[0] ?? '').slice(0, 140),
  };
}
