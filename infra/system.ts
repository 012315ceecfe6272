import { resolve } from 'node:path';
import { argoCdSyncFailedPattern, argoCdSyncedHealthyPattern } from '../events/argocd-app-status-changed.js';
import { alarmFiredPattern } from '../events/alarm-state-changed.js';
import { syncCatalogPattern } from '../events/catalog-file-changed.js';
import { notifyDeploymentChangedPattern } from '../events/deployment-changed.js';
import { deploymentExecutionStoppedPattern } from '../events/execution-status-changed.js';
import { startDeploymentPattern } from '../events/deployment-requested.js';
import { startProvisioningPattern, startServiceCreationPattern } from '../events/self-service-requested.js';
import { countSlackVotePattern } from '../events/slack-vote-received.js';
import { terraformChangedPattern } from '../events/terraform-changed.js';
import { IDEMPOTENCY_TABLE, MAIN_TABLE, type TableDesign } from '../functions/adapters/aws/table-design.js';
import type { FunctionDeclaration } from '../functions/declaration.js';
import type { StateMachineName } from '../functions/ports/index.js';
import * as acquireDeploymentLock from '../functions/deployment/acquire-deployment-lock.js';
import * as resolveArtifact from '../functions/deployment/resolve-artifact.js';
import * as deployWave from '../functions/deployment/deploy-wave.js';
import * as awaitArgoSync from '../functions/deployment/await-argo-sync.js';
import * as runHealthGate from '../functions/deployment/run-health-gate.js';
import * as startBake from '../functions/deployment/start-bake.js';
import * as finishBake from '../functions/deployment/finish-bake.js';
import * as completeDeployment from '../functions/deployment/complete-deployment.js';
import * as planRollback from '../functions/deployment/plan-rollback.js';
import * as restoreWave from '../functions/deployment/restore-wave.js';
import * as finishWaveRollback from '../functions/deployment/finish-wave-rollback.js';
import * as finishRollback from '../functions/deployment/finish-rollback.js';
import * as recordRollbackFailure from '../functions/deployment/record-rollback-failure.js';
import * as prepareDeploymentApproval from '../functions/deployment/prepare-deployment-approval.js';
import * as prepareBakeDecision from '../functions/deployment/prepare-bake-decision.js';
import * as applyBakeDecision from '../functions/deployment/apply-bake-decision.js';
import * as applyApprovalOutcome from '../functions/deployment/apply-approval-outcome.js';
import * as startDeployment from '../functions/deployment/start-deployment.js';
import * as notifyDeploymentChange from '../functions/deployment/notify-deployment-change.js';
import * as failBakeOnAlarm from '../functions/deployment/fail-bake-on-alarm.js';
import * as recordArgoStatus from '../functions/deployment/record-argo-status.js';
import * as endStoppedDeployment from '../functions/deployment/end-stopped-deployment.js';
import * as requestApproval from '../functions/approval/request-approval.js';
import * as awaitDecision from '../functions/approval/await-decision.js';
import * as expireApproval from '../functions/approval/expire-approval.js';
import * as remindApproval from '../functions/approval/remind-approval.js';
import * as countSlackVote from '../functions/approval/count-slack-vote.js';
import * as startProvisioning from '../functions/provisioning/start-provisioning.js';
import * as checkProvisioningRequest from '../functions/provisioning/check-provisioning-request.js';
import * as applyProvisioningApproval from '../functions/provisioning/apply-provisioning-approval.js';
import * as openProvisioningPullRequest from '../functions/provisioning/open-provisioning-pull-request.js';
import * as awaitProvisioningApply from '../functions/provisioning/await-provisioning-apply.js';
import * as completeProvisioning from '../functions/provisioning/complete-provisioning.js';
import * as failProvisioning from '../functions/provisioning/fail-provisioning.js';
import * as recordTerraformChange from '../functions/provisioning/record-terraform-change.js';
import * as startServiceCreation from '../functions/service-creation/start-service-creation.js';
import * as createServiceRepositories from '../functions/service-creation/create-service-repositories.js';
import * as commitServiceGitOps from '../functions/service-creation/commit-service-git-ops.js';
import * as registerService from '../functions/service-creation/register-service.js';
import * as failServiceCreation from '../functions/service-creation/fail-service-creation.js';
import * as syncCatalogFile from '../functions/service-creation/sync-catalog-file.js';
import * as githubWebhook from '../functions/ingress/github-webhook.js';
import * as argocdWebhook from '../functions/ingress/argocd-webhook.js';
import * as slackInteractions from '../functions/ingress/slack-interactions.js';
import * as portalApi from '../functions/ingress/portal-api.js';

/** Where the paths below (definition files, entries) are relative to. */
export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..');

/**
 * The one declaration of Flightplan: functions, HTTP routes, bus rules, state machines and
 * tables. The CDK app (`infra/aws`) and the local runtime (`infra/local`) are both built from
 * it, so what runs on a laptop is what runs on AWS.
 */

export type Workflow = 'deployment' | 'approval' | 'provisioning' | 'service-creation' | 'ingress';

export interface FunctionSpec {
  /** The folder of its entry point: `functions/{workflow}/{id in kebab-case}.ts`. */
  workflow: Workflow;
  /** The entry module: its `declaration` (description, ports, input, use case) and its Lambda `handler`. */
  module: { declaration: FunctionDeclaration };
  memoryMb: number;
  timeoutSeconds: number;
  /** Caps concurrency where a downstream has limits (Slack, GitHub rate limits). */
  reservedConcurrency?: number;
}

export const FUNCTIONS = {
  acquireDeploymentLock: { workflow: 'deployment', module: acquireDeploymentLock, memoryMb: 256, timeoutSeconds: 30 },
  resolveArtifact: { workflow: 'deployment', module: resolveArtifact, memoryMb: 256, timeoutSeconds: 30 },
  deployWave: { workflow: 'deployment', module: deployWave, memoryMb: 256, timeoutSeconds: 60 },
  awaitArgoSync: { workflow: 'deployment', module: awaitArgoSync, memoryMb: 256, timeoutSeconds: 30 },
  runHealthGate: { workflow: 'deployment', module: runHealthGate, memoryMb: 256, timeoutSeconds: 30 },
  startBake: { workflow: 'deployment', module: startBake, memoryMb: 256, timeoutSeconds: 30 },
  finishBake: { workflow: 'deployment', module: finishBake, memoryMb: 256, timeoutSeconds: 30 },
  completeDeployment: { workflow: 'deployment', module: completeDeployment, memoryMb: 256, timeoutSeconds: 30 },
  planRollback: { workflow: 'deployment', module: planRollback, memoryMb: 256, timeoutSeconds: 30 },
  restoreWave: { workflow: 'deployment', module: restoreWave, memoryMb: 256, timeoutSeconds: 60 },
  finishWaveRollback: { workflow: 'deployment', module: finishWaveRollback, memoryMb: 256, timeoutSeconds: 30 },
  finishRollback: { workflow: 'deployment', module: finishRollback, memoryMb: 256, timeoutSeconds: 30 },
  recordRollbackFailure: { workflow: 'deployment', module: recordRollbackFailure, memoryMb: 256, timeoutSeconds: 30 },
  prepareDeploymentApproval: {
    workflow: 'deployment',
    module: prepareDeploymentApproval,
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  prepareBakeDecision: { workflow: 'deployment', module: prepareBakeDecision, memoryMb: 256, timeoutSeconds: 30 },
  applyBakeDecision: { workflow: 'deployment', module: applyBakeDecision, memoryMb: 256, timeoutSeconds: 30 },
  applyApprovalOutcome: { workflow: 'deployment', module: applyApprovalOutcome, memoryMb: 256, timeoutSeconds: 30 },
  startDeployment: { workflow: 'deployment', module: startDeployment, memoryMb: 256, timeoutSeconds: 30 },
  endStoppedDeployment: { workflow: 'deployment', module: endStoppedDeployment, memoryMb: 256, timeoutSeconds: 30 },
  notifyDeploymentChange: {
    workflow: 'deployment',
    module: notifyDeploymentChange,
    memoryMb: 256,
    timeoutSeconds: 30,
    // Slack allows about one message per second per channel; the bus retries what waits.
    reservedConcurrency: 5,
  },
  failBakeOnAlarm: { workflow: 'deployment', module: failBakeOnAlarm, memoryMb: 256, timeoutSeconds: 30 },
  recordArgoStatus: { workflow: 'deployment', module: recordArgoStatus, memoryMb: 256, timeoutSeconds: 30 },
  requestApproval: { workflow: 'approval', module: requestApproval, memoryMb: 256, timeoutSeconds: 30 },
  awaitDecision: { workflow: 'approval', module: awaitDecision, memoryMb: 256, timeoutSeconds: 30 },
  expireApproval: { workflow: 'approval', module: expireApproval, memoryMb: 256, timeoutSeconds: 30 },
  remindApproval: { workflow: 'approval', module: remindApproval, memoryMb: 256, timeoutSeconds: 30 },
  countSlackVote: {
    workflow: 'approval',
    module: countSlackVote,
    memoryMb: 256,
    // Not bound by Slack's 3 s: the click was acknowledged; a run cut short is retried by the bus and Lambda.
    timeoutSeconds: 30,
    // Each vote updates the message (chat.update, about 50 a minute) and answers the clicker; a flood
    // of clicks waits in Lambda's queue instead of taking the account's concurrency. Locally this
    // also keeps the worker from starving the acknowledgements on the same event loop.
    reservedConcurrency: 5,
  },
  startProvisioning: { workflow: 'provisioning', module: startProvisioning, memoryMb: 256, timeoutSeconds: 30 },
  checkProvisioningRequest: {
    workflow: 'provisioning',
    module: checkProvisioningRequest,
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  applyProvisioningApproval: {
    workflow: 'provisioning',
    module: applyProvisioningApproval,
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  openProvisioningPullRequest: {
    workflow: 'provisioning',
    module: openProvisioningPullRequest,
    memoryMb: 256,
    timeoutSeconds: 60,
    // GitHub's secondary rate limits punish bursts of content-creating requests.
    reservedConcurrency: 5,
  },
  awaitProvisioningApply: {
    workflow: 'provisioning',
    module: awaitProvisioningApply,
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  completeProvisioning: { workflow: 'provisioning', module: completeProvisioning, memoryMb: 256, timeoutSeconds: 30 },
  failProvisioning: { workflow: 'provisioning', module: failProvisioning, memoryMb: 256, timeoutSeconds: 30 },
  recordTerraformChange: { workflow: 'provisioning', module: recordTerraformChange, memoryMb: 256, timeoutSeconds: 30 },
  startServiceCreation: {
    workflow: 'service-creation',
    module: startServiceCreation,
    memoryMb: 256,
    timeoutSeconds: 30,
  },
  createServiceRepositories: {
    workflow: 'service-creation',
    module: createServiceRepositories,
    memoryMb: 256,
    timeoutSeconds: 120,
    reservedConcurrency: 5,
  },
  commitServiceGitOps: { workflow: 'service-creation', module: commitServiceGitOps, memoryMb: 256, timeoutSeconds: 60 },
  registerService: { workflow: 'service-creation', module: registerService, memoryMb: 256, timeoutSeconds: 30 },
  failServiceCreation: { workflow: 'service-creation', module: failServiceCreation, memoryMb: 256, timeoutSeconds: 30 },
  syncCatalogFile: { workflow: 'service-creation', module: syncCatalogFile, memoryMb: 256, timeoutSeconds: 30 },
  githubWebhook: { workflow: 'ingress', module: githubWebhook, memoryMb: 512, timeoutSeconds: 10 },
  argocdWebhook: { workflow: 'ingress', module: argocdWebhook, memoryMb: 256, timeoutSeconds: 10 },
  slackInteractions: { workflow: 'ingress', module: slackInteractions, memoryMb: 512, timeoutSeconds: 3 },
  portalApi: { workflow: 'ingress', module: portalApi, memoryMb: 512, timeoutSeconds: 10 },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionId = keyof typeof FUNCTIONS;

/** Where a function's entry point lives, relative to the repository root. */
export const entryOf = (id: FunctionId): string =>
  `functions/${FUNCTIONS[id].workflow}/${id.replace(/[A-Z]/gu, (letter) => `-${letter.toLowerCase()}`)}.ts`;

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  function: FunctionId;
  /** `jwt`: the API Gateway JWT authorizer (locally, the local issuer). `none`: the handler verifies a signature or token. */
  auth: 'jwt' | 'none';
}

export const ROUTES: RouteSpec[] = [
  { method: 'POST', path: '/webhooks/github', function: 'githubWebhook', auth: 'none' },
  { method: 'POST', path: '/webhooks/argocd', function: 'argocdWebhook', auth: 'none' },
  { method: 'GET', path: '/v1/deployments', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/deployments/{id}', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/deployments/{id}/execution', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/deployments', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/deployments/{id}/abort', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/deployments/plan', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/deployments/{id}/override', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/approvals', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/approvals/{id}', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/approvals/{id}/votes', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/provisioning-requests', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/provisioning-requests/{id}', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/provisioning-requests', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/services', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/services/{name}', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/services/{name}/live', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/services', function: 'portalApi', auth: 'jwt' },
  { method: 'PUT', path: '/v1/services/{name}', function: 'portalApi', auth: 'jwt' },
  { method: 'DELETE', path: '/v1/services/{name}', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/me', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/people/{id}', function: 'portalApi', auth: 'jwt' },
  { method: 'PUT', path: '/v1/people/{id}', function: 'portalApi', auth: 'jwt' },
  // The API description is public, as the contract Backstage and other clients build against.
  { method: 'GET', path: '/v1/openapi.json', function: 'portalApi', auth: 'none' },
  { method: 'POST', path: '/slack/interactions', function: 'slackInteractions', auth: 'none' },
];

export interface RuleSpec {
  name: string;
  description: string;
  pattern: object;
  target: FunctionId;
  /** `default`: AWS services' own events (Step Functions) arrive on the account's default bus. */
  bus?: 'flightplan' | 'default';
}

export const RULES: RuleSpec[] = [
  {
    name: 'StartDeployment',
    description: 'Every deployment request starts a deployment workflow',
    pattern: startDeploymentPattern,
    target: 'startDeployment',
  },
  {
    name: 'ArgoCdSyncedHealthy',
    description: 'Argo CD synced and healthy resumes the waiting deployment',
    pattern: argoCdSyncedHealthyPattern,
    target: 'recordArgoStatus',
  },
  {
    name: 'ArgoCdSyncFailed',
    description: 'A failed sync or degraded app fails the waiting deployment',
    pattern: argoCdSyncFailedPattern,
    target: 'recordArgoStatus',
  },
  {
    name: 'NotifyDeploymentChanged',
    description: 'Deployment changes go to Slack and GitHub Deployments',
    pattern: notifyDeploymentChangedPattern,
    target: 'notifyDeploymentChange',
  },
  {
    name: 'AlarmFired',
    description: 'An alarm in ALARM fails the bake of that service and region',
    pattern: alarmFiredPattern,
    target: 'failBakeOnAlarm',
  },
  {
    name: 'StartProvisioning',
    description: 'A stored provisioning request starts its workflow',
    pattern: startProvisioningPattern,
    target: 'startProvisioning',
  },
  {
    name: 'TerraformChanged',
    description: 'Terraform merges and applies move provisioning requests',
    pattern: terraformChangedPattern,
    target: 'recordTerraformChange',
  },
  {
    name: 'SyncCatalog',
    description: 'A pushed catalog-info.yaml registers, updates or deactivates its service',
    pattern: syncCatalogPattern,
    target: 'syncCatalogFile',
  },
  {
    name: 'DeploymentExecutionStopped',
    description: 'A stopped or timed-out deployment execution ends ABORTED and frees its lock',
    pattern: deploymentExecutionStoppedPattern,
    target: 'endStoppedDeployment',
    bus: 'default',
  },
  {
    name: 'CountSlackVote',
    description: 'An acknowledged Slack click is counted as a vote and answered to the clicker',
    pattern: countSlackVotePattern,
    target: 'countSlackVote',
  },
  {
    name: 'StartServiceCreation',
    description: 'A reserved service name starts the service-creation workflow',
    pattern: startServiceCreationPattern,
    target: 'startServiceCreation',
  },
];

export interface StateMachineSpec {
  definitionFile: string;
  /**
   * The functions its Task states invoke. Each step has one name: the function id, its file
   * (`functions/{workflow}/{step-in-kebab-case}.ts`), its use case, and the ASL placeholder
   * `${StepFunctionArn}`.
   */
  steps: FunctionId[];
  /** `${Name}` placeholders for child state machines run with startExecution.sync:2. */
  stateMachineSubstitutions?: Record<string, StateMachineName>;
}

export const STATE_MACHINES: Record<StateMachineName, StateMachineSpec> = {
  deployment: {
    definitionFile: 'workflows/deployment.asl.json',
    steps: [
      'acquireDeploymentLock',
      'resolveArtifact',
      'deployWave',
      'awaitArgoSync',
      'runHealthGate',
      'startBake',
      'finishBake',
      'completeDeployment',
      'planRollback',
      'restoreWave',
      'finishWaveRollback',
      'finishRollback',
      'recordRollbackFailure',
      'prepareDeploymentApproval',
      'prepareBakeDecision',
      'applyBakeDecision',
      'applyApprovalOutcome',
    ],
    stateMachineSubstitutions: { ApprovalStateMachineArn: 'approval' },
  },
  approval: {
    definitionFile: 'workflows/approval.asl.json',
    steps: ['requestApproval', 'awaitDecision', 'expireApproval', 'remindApproval'],
  },
  provisioning: {
    definitionFile: 'workflows/provisioning.asl.json',
    steps: [
      'checkProvisioningRequest',
      'applyProvisioningApproval',
      'openProvisioningPullRequest',
      'awaitProvisioningApply',
      'completeProvisioning',
      'failProvisioning',
    ],
    stateMachineSubstitutions: { ApprovalStateMachineArn: 'approval' },
  },
  serviceCreation: {
    definitionFile: 'workflows/service-creation.asl.json',
    steps: ['createServiceRepositories', 'commitServiceGitOps', 'registerService', 'failServiceCreation'],
  },
};

/** The ASL placeholder whose value is a step function's ARN. */
export const functionPlaceholder = (step: FunctionId): string =>
  `${step.charAt(0).toUpperCase()}${step.slice(1)}FunctionArn`;

export const TABLES: Record<'main' | 'idempotency', TableDesign> = { main: MAIN_TABLE, idempotency: IDEMPOTENCY_TABLE };
