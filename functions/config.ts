/**
 * Every environment variable Flightplan reads: its name constant (used by `functions/` and
 * `infra/` alike), its meaning and its default. Read once at cold start; a missing required
 * variable fails fast with its name.
 */
export const ENV = {
  /** Single-table store for deployments, catalog, locks, waits and audit. */
  tableName: 'FLIGHTPLAN_TABLE_NAME',
  /** Powertools idempotency records (webhook deliveries). */
  idempotencyTableName: 'FLIGHTPLAN_IDEMPOTENCY_TABLE_NAME',
  busName: 'FLIGHTPLAN_BUS_NAME',
  deploymentStateMachineArn: 'FLIGHTPLAN_DEPLOYMENT_STATE_MACHINE_ARN',
  provisioningStateMachineArn: 'FLIGHTPLAN_PROVISIONING_STATE_MACHINE_ARN',
  serviceCreationStateMachineArn: 'FLIGHTPLAN_SERVICE_CREATION_STATE_MACHINE_ARN',
  /** Local: the secret itself. On AWS the *_SECRET_ARN variant names a Secrets Manager secret instead. */
  githubWebhookSecret: 'FLIGHTPLAN_GITHUB_WEBHOOK_SECRET',
  githubWebhookSecretArn: 'FLIGHTPLAN_GITHUB_WEBHOOK_SECRET_ARN',
  argocdToken: 'FLIGHTPLAN_ARGOCD_TOKEN',
  argocdTokenSecretArn: 'FLIGHTPLAN_ARGOCD_TOKEN_SECRET_ARN',
  slackSigningSecret: 'FLIGHTPLAN_SLACK_SIGNING_SECRET',
  slackSigningSecretArn: 'FLIGHTPLAN_SLACK_SIGNING_SECRET_ARN',
  /** Local: the secret the portal's list cursors are sealed with. On AWS a generated Secrets Manager secret. */
  cursorKey: 'FLIGHTPLAN_CURSOR_KEY',
  cursorKeySecretArn: 'FLIGHTPLAN_CURSOR_KEY_SECRET_ARN',
  /** Slack bot token (xoxb-…) for chat.postMessage / chat.update, from Secrets Manager on AWS. */
  slackBotTokenSecretArn: 'FLIGHTPLAN_SLACK_BOT_TOKEN_SECRET_ARN',
  /** GitHub App that commits to the GitOps repository (AWS). */
  githubAppId: 'FLIGHTPLAN_GITHUB_APP_ID',
  githubAppInstallationId: 'FLIGHTPLAN_GITHUB_APP_INSTALLATION_ID',
  githubAppPrivateKeySecretArn: 'FLIGHTPLAN_GITHUB_APP_PRIVATE_KEY_SECRET_ARN',
  /**
   * GitHub REST API base URL for the GitHub App's Octokit; defaults to https://api.github.com.
   * The AWS twin points it at its GitHub emulation (as AWS_ENDPOINT_URL_* does for the SDK).
   */
  githubApiUrl: 'FLIGHTPLAN_GITHUB_API_URL',
  /** Slack Web API base URL for the bot's WebClient; defaults to https://slack.com/api/. The AWS twin points it at its Slack emulation. */
  slackApiUrl: 'FLIGHTPLAN_SLACK_API_URL',
  gitopsRepository: 'FLIGHTPLAN_GITOPS_REPOSITORY',
  gitopsBranch: 'FLIGHTPLAN_GITOPS_BRANCH',
  /** ECR registry holding one repository per service (`{account}.dkr.ecr.{region}.amazonaws.com`). */
  imageRegistry: 'FLIGHTPLAN_IMAGE_REGISTRY',
  /** GitHub organization that owns new service repositories and the platform's template repositories. */
  githubOrganization: 'FLIGHTPLAN_GITHUB_ORGANIZATION',
  /** owner/name of the Terraform repository provisioning requests open pull requests on. */
  terraformRepository: 'FLIGHTPLAN_TERRAFORM_REPOSITORY',
  /** Where the platform's Terraform modules live; `//{type}?ref=v1` is appended. */
  terraformModuleSource: 'FLIGHTPLAN_TERRAFORM_MODULE_SOURCE',
  /** Name of the GitHub Actions workflow that applies the Terraform repository after a merge. */
  terraformApplyWorkflow: 'FLIGHTPLAN_TERRAFORM_APPLY_WORKFLOW',
  /** JSON `{"hml": "<account id>", "prod": "<account id>"}`: the account of each environment. */
  accounts: 'FLIGHTPLAN_ACCOUNTS',
  /**
   * Comma-separated domains an SNS `https` subscription may deliver to (a domain allows its
   * subdomains); empty allows none. CDK context `flightplan:snsHttpsDomains`.
   */
  snsHttpsDomains: 'FLIGHTPLAN_SNS_HTTPS_DOMAINS',
  /** Absolute URL Flightplan's links in Slack start with (the portal, or the API's URL). CDK context `flightplan:portalUrl`; locally the server's URL. */
  portalUrl: 'FLIGHTPLAN_PORTAL_URL',
  /** JSON array of freeze windows (functions/domain/freeze-window.ts); PROD waves wait while one is active. */
  freezeWindows: 'FLIGHTPLAN_FREEZE_WINDOWS',
  /** JSON per environment: where health gates read error rate, p99 and traffic (functions/health-settings.ts). Absent: CloudWatch. */
  healthSources: 'FLIGHTPLAN_HEALTH_SOURCES',
  /**
   * The Keycloak group whose direct subgroups are the teams: `/` (top-level groups, the default)
   * or a path such as `/org`. CDK context `flightplan:teamGroupParent`.
   */
  teamGroupParent: 'FLIGHTPLAN_TEAM_GROUP_PARENT',
  /** JSON `{"hml": {"account", "regions"}, "prod": …}`: health is read there through FlightplanHealthReader. Absent: one account. */
  workloadAccounts: 'FLIGHTPLAN_WORKLOAD_ACCOUNTS',
  /** The control plane's own account: events it puts on its bus are the webhook's, already checked. */
  controlPlaneAccount: 'FLIGHTPLAN_CONTROL_PLANE_ACCOUNT',
  /**
   * Seconds a deployment lock is held without renewal (default 26 h, longer than the 24-hour
   * approval, the longest step that does not renew it). The next waiter may take a lock whose
   * lease expired, or whose execution is no longer running. Locally divided by the time scale.
   */
  lockLeaseSeconds: 'FLIGHTPLAN_LOCK_LEASE_SECONDS',
  /** Local runtime only. */
  port: 'FLIGHTPLAN_PORT',
  timeScale: 'FLIGHTPLAN_TIME_SCALE',
  dynamoDbEndpoint: 'FLIGHTPLAN_DYNAMODB_ENDPOINT',
  dataDir: 'FLIGHTPLAN_DATA_DIR',
  /** Local runtime: health gates and bakes read PromQL from this Prometheus (which scrapes GET /local/sim/metrics). */
  prometheusUrl: 'FLIGHTPLAN_PROMETHEUS_URL',
} as const;

export const DEFAULT_LOCK_LEASE_SECONDS = 26 * 3600;

/** The variable that carries each state machine's ARN to the functions that start or signal it. */
export const STATE_MACHINE_ARN_VARIABLES = {
  deployment: ENV.deploymentStateMachineArn,
  provisioning: ENV.provisioningStateMachineArn,
  serviceCreation: ENV.serviceCreationStateMachineArn,
} as const;

/** Where the GitHub and Slack clients go when FLIGHTPLAN_GITHUB_API_URL / FLIGHTPLAN_SLACK_API_URL are unset. */
export const PUBLIC_API_URLS = {
  github: 'https://api.github.com',
  slack: 'https://slack.com/api/',
} as const;

export const LOCAL_DEFAULTS = {
  githubWebhookSecret: 'local-github-secret',
  slackSigningSecret: 'local-slack-secret',
  argocdToken: 'local-argocd-token',
  cursorKey: 'local-cursor-key',
  port: 3000,
  timeScale: 60,
  dataDir: '.local',
  tableName: 'flightplan',
  idempotencyTableName: 'flightplan-idempotency',
  busName: 'flightplan',
  imageRegistry: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  githubOrganization: 'acme',
  gitopsRepository: 'acme/gitops',
  terraformApplyWorkflow: 'terraform-apply',
  accounts: { hml: '111111111111', prod: '222222222222' },
  snsHttpsDomains: 'hooks.acme.example',
} as const;

/** A comma-separated list; blanks dropped. */
export const listEnv = (name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string[] =>
  optionalEnv(name, fallback, env)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** Webhook and API bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

export class MissingConfigurationError extends Error {
  constructor(name: string) {
    super(`Environment variable ${name} is required`);
    this.name = 'MissingConfigurationError';
  }
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new MissingConfigurationError(name);
  return value;
}

export function optionalEnv(name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** A Keycloak group path: `/`, or `/org`, `/org/teams` (no trailing slash). */
export const isGroupPath = (value: string): boolean => /^\/(?:[^/]+(?:\/[^/]+)*)?$/u.test(value);

/** FLIGHTPLAN_TEAM_GROUP_PARENT, `/` when unset; a malformed value stops the function at cold start. */
export function teamGroupParentFrom(env: NodeJS.ProcessEnv = process.env): string {
  const parent = optionalEnv(ENV.teamGroupParent, '/', env);
  if (!isGroupPath(parent))
    throw new Error(
      `Environment variable ${ENV.teamGroupParent} must be a Keycloak group path such as / or /org, got "${parent}"`,
    );
  return parent;
}

export function numberEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`Environment variable ${name} must be a positive number, got "${raw}"`);
  }
  return value;
}
