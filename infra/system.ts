import { argoCdSyncFailedPattern, argoCdSyncedHealthyPattern } from '../events/argocd-app-status-changed.js';
import { alarmFiredPattern } from '../events/alarm-state-changed.js';
import { notifyDeploymentChangedPattern } from '../events/deployment-changed.js';
import { startDeploymentPattern } from '../events/deployment-requested.js';
import { startProvisioningPattern, startServiceCreationPattern } from '../events/self-service-requested.js';
import { terraformChangedPattern } from '../events/terraform-changed.js';
import { IDEMPOTENCY_TABLE, MAIN_TABLE, type TableDesign } from '../functions/adapters/aws/table-design.js';
import type { StateMachineName } from '../functions/ports/index.js';

/**
 * The one declaration of Flightplan: functions, HTTP routes, bus rules, state machines and
 * tables. The CDK app (`infra/aws`) and the local runtime (`infra/local`) are both built from
 * it, so what runs on a laptop is what runs on AWS.
 */

/** What a function touches; the CDK app turns it into least-privilege grants and environment. */
export interface FunctionAccess {
  table?: 'read' | 'write';
  idempotencyTable?: boolean;
  publishes?: boolean;
  startsWorkflows?: StateMachineName[];
  /** Sends task success/failure to, or stops, executions of these state machines. */
  signalsWorkflows?: StateMachineName[];
  /** Reads the executions (description and state history) of these state machines, for the console. */
  readsWorkflows?: StateMachineName[];
  secrets?: ('githubWebhookSecret' | 'argocdToken' | 'githubAppPrivateKey' | 'slackBotToken' | 'slackSigningSecret')[];
  gitops?: boolean;
  images?: boolean;
  health?: boolean;
  /** Reads the freeze windows (CDK context flightplan:freezeWindows). */
  freezeWindows?: boolean;
  /** Creates repositories, commits and opens pull requests through the GitHub App. */
  codeHost?: boolean;
  /** Reads where self-service requests land: organization, Terraform repository, accounts. */
  selfService?: boolean;
}

export interface FunctionSpec {
  entry: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** Caps concurrency where a downstream has limits (Slack, GitHub rate limits). */
  reservedConcurrency?: number;
  access: FunctionAccess;
}

export const FUNCTIONS = {
  githubWebhook: {
    entry: 'functions/github-webhook.ts',
    description: 'POST /webhooks/github: verify, dedupe, publish',
    memoryMb: 512,
    timeoutSeconds: 10,
    access: { table: 'read', idempotencyTable: true, publishes: true, selfService: true, secrets: ['githubWebhookSecret'] },
  },
  argocdWebhook: {
    entry: 'functions/argocd-webhook.ts',
    description: 'POST /webhooks/argocd: authenticate, publish',
    memoryMb: 256,
    timeoutSeconds: 10,
    access: { publishes: true, secrets: ['argocdToken'] },
  },
  portalApi: {
    entry: 'functions/portal-api.ts',
    description: 'Portal API (/v1)',
    memoryMb: 512,
    timeoutSeconds: 10,
    access: { table: 'write', publishes: true, selfService: true, signalsWorkflows: ['deployment', 'approval'], readsWorkflows: ['deployment'], freezeWindows: true, secrets: ['slackBotToken'] },
  },
  slackInteractions: {
    entry: 'functions/slack-interactions.ts',
    description: 'POST /slack/interactions: approval buttons',
    memoryMb: 512,
    timeoutSeconds: 3,
    access: { table: 'write', signalsWorkflows: ['approval'], secrets: ['slackSigningSecret', 'slackBotToken'] },
  },
  approvalRequest: {
    entry: 'functions/approval-request.ts',
    description: 'Approval task: create the approval and post it to Slack',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', secrets: ['slackBotToken'] },
  },
  approvalAwaitDecision: {
    entry: 'functions/approval-await-decision.ts',
    description: 'Approval task: park the token until a vote decides',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', signalsWorkflows: ['approval'] },
  },
  approvalRemind: {
    entry: 'functions/approval-remind.ts',
    description: 'Approval task: remind, and escalate to platform-team near expiry',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', secrets: ['slackBotToken'] },
  },
  approvalExpire: {
    entry: 'functions/approval-expire.ts',
    description: 'Approval task: expire an undecided approval',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', secrets: ['slackBotToken'] },
  },
  deploymentPrepareApproval: {
    entry: 'functions/deployment-prepare-approval.ts',
    description: 'Deployment task: what approval this deployment needs',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  deploymentApplyApprovalOutcome: {
    entry: 'functions/deployment-apply-approval-outcome.ts',
    description: 'Deployment task: resume or end after the approval',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  deploymentNotifier: {
    entry: 'functions/deployment-notifier.ts',
    description: 'Slack messages and GitHub Deployment statuses for deployment changes',
    memoryMb: 256,
    timeoutSeconds: 30,
    // Slack allows about one message per second per channel; the bus retries what waits.
    reservedConcurrency: 5,
    access: { table: 'read', gitops: true, secrets: ['slackBotToken', 'githubAppPrivateKey'] },
  },
  alarmWatcher: {
    entry: 'functions/alarm-watcher.ts',
    description: 'Fails the bake of a service whose alarm fired',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', signalsWorkflows: ['deployment'] },
  },
  deploymentStarter: {
    entry: 'functions/deployment-starter.ts',
    description: 'Records a requested deployment and starts its workflow',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', startsWorkflows: ['deployment'] },
  },
  argocdStatusRecorder: {
    entry: 'functions/argocd-status-recorder.ts',
    description: 'Resumes or fails deployments waiting on Argo CD',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', signalsWorkflows: ['deployment'] },
  },
  deploymentAcquireLock: {
    entry: 'functions/deployment-acquire-lock.ts',
    description: 'Deployment task: take the per-service lock',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', signalsWorkflows: ['deployment'] },
  },
  deploymentResolveArtifact: {
    entry: 'functions/deployment-resolve-artifact.ts',
    description: 'Deployment task: resolve the image digest',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', images: true },
  },
  deploymentDeployWave: {
    entry: 'functions/deployment-deploy-wave.ts',
    description: 'Deployment task: commit the digest for one region',
    memoryMb: 256,
    timeoutSeconds: 60,
    access: { table: 'write', gitops: true, health: true, freezeWindows: true, secrets: ['githubAppPrivateKey'] },
  },
  deploymentAwaitSync: {
    entry: 'functions/deployment-await-sync.ts',
    description: 'Deployment task: park the task token until Argo CD syncs',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', signalsWorkflows: ['deployment'] },
  },
  deploymentHealthGate: {
    entry: 'functions/deployment-health-gate.ts',
    description: 'Deployment task: health gate for one region',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', health: true },
  },
  deploymentComplete: {
    entry: 'functions/deployment-complete.ts',
    description: 'Deployment task: mark succeeded and free the lock',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  deploymentStartBake: {
    entry: 'functions/deployment-start-bake.ts',
    description: 'Deployment task: park the bake token',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', health: true, signalsWorkflows: ['deployment'] },
  },
  deploymentFinishBake: {
    entry: 'functions/deployment-finish-bake.ts',
    description: 'Deployment task: health and traffic after a bake',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', health: true },
  },
  deploymentPrepareBakeDecision: {
    entry: 'functions/deployment-prepare-bake-decision.ts',
    description: 'Deployment task: the question for an inconclusive bake',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'read' },
  },
  deploymentApplyBakeDecision: {
    entry: 'functions/deployment-apply-bake-decision.ts',
    description: 'Deployment task: continue or roll back after the answer',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  deploymentPlanRollback: {
    entry: 'functions/deployment-plan-rollback.ts',
    description: 'Deployment task: waves to restore',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'read' },
  },
  deploymentRestoreWave: {
    entry: 'functions/deployment-restore-wave.ts',
    description: 'Deployment task: commit a previous digest back',
    memoryMb: 256,
    timeoutSeconds: 60,
    access: { table: 'write', gitops: true, secrets: ['githubAppPrivateKey'] },
  },
  deploymentFinishWaveRollback: {
    entry: 'functions/deployment-finish-wave-rollback.ts',
    description: 'Deployment task: mark a wave rolled back',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  deploymentFinishRollback: {
    entry: 'functions/deployment-finish-rollback.ts',
    description: 'Deployment task: end a rolled-back deployment',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  deploymentRecordRollbackFailure: {
    entry: 'functions/deployment-record-rollback-failure.ts',
    description: 'Deployment task: end a deployment whose rollback failed',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  provisioningStarter: {
    entry: 'functions/provisioning-starter.ts',
    description: 'Starts the provisioning workflow of a stored request',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'read', startsWorkflows: ['provisioning'] },
  },
  provisioningCheckPolicy: {
    entry: 'functions/provisioning-check-policy.ts',
    description: 'Provisioning task: policy check and the approval needed',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  provisioningApplyApproval: {
    entry: 'functions/provisioning-apply-approval.ts',
    description: 'Provisioning task: go on or end REJECTED after the approval',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  provisioningOpenPullRequest: {
    entry: 'functions/provisioning-open-pull-request.ts',
    description: 'Provisioning task: render the Terraform and open the pull request',
    memoryMb: 256,
    timeoutSeconds: 60,
    // GitHub's secondary rate limits punish bursts of content-creating requests.
    reservedConcurrency: 5,
    access: { table: 'write', codeHost: true, selfService: true, secrets: ['githubAppPrivateKey'] },
  },
  provisioningAwaitApply: {
    entry: 'functions/provisioning-await-apply.ts',
    description: 'Provisioning task: park the token until merged and applied',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', signalsWorkflows: ['provisioning'] },
  },
  provisioningComplete: {
    entry: 'functions/provisioning-complete.ts',
    description: 'Provisioning task: record outputs and the secret path',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', secrets: ['slackBotToken'] },
  },
  provisioningRecordFailure: {
    entry: 'functions/provisioning-record-failure.ts',
    description: 'Provisioning task: end the request FAILED',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
  terraformChangeRecorder: {
    entry: 'functions/terraform-change-recorder.ts',
    description: 'Moves provisioning requests on Terraform merges and applies',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', signalsWorkflows: ['provisioning'] },
  },
  serviceCreationStarter: {
    entry: 'functions/service-creation-starter.ts',
    description: 'Starts the service-creation workflow',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { startsWorkflows: ['serviceCreation'] },
  },
  serviceCreateRepositories: {
    entry: 'functions/service-create-repositories.ts',
    description: 'Service creation task: code and infra repositories from templates',
    memoryMb: 256,
    timeoutSeconds: 120,
    reservedConcurrency: 5,
    access: { table: 'write', codeHost: true, selfService: true, secrets: ['githubAppPrivateKey'] },
  },
  serviceCommitGitOps: {
    entry: 'functions/service-commit-gitops.ts',
    description: 'Service creation task: Argo CD applications and Keycloak client',
    memoryMb: 256,
    timeoutSeconds: 60,
    access: { table: 'write', gitops: true, selfService: true, secrets: ['githubAppPrivateKey'] },
  },
  serviceRegister: {
    entry: 'functions/service-register.ts',
    description: 'Service creation task: the service goes ACTIVE in the catalog',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write', secrets: ['slackBotToken'] },
  },
  serviceRecordFailure: {
    entry: 'functions/service-record-failure.ts',
    description: 'Service creation task: mark the service FAILED',
    memoryMb: 256,
    timeoutSeconds: 30,
    access: { table: 'write' },
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionId = keyof typeof FUNCTIONS;

export interface RouteSpec {
  method: 'GET' | 'POST';
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
  { method: 'POST', path: '/v1/deployments', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/deployments/{id}/abort', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/deployments/plan', function: 'portalApi', auth: 'jwt' },
  { method: 'POST', path: '/v1/deployments/{id}/override', function: 'portalApi', auth: 'jwt' },
  { method: 'GET', path: '/v1/deployments/{id}/execution', function: 'portalApi', auth: 'jwt' },
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
  // The API description is public, as the contract Backstage and other clients build against.
  { method: 'GET', path: '/v1/openapi.json', function: 'portalApi', auth: 'none' },
  { method: 'POST', path: '/slack/interactions', function: 'slackInteractions', auth: 'none' },
];

export interface RuleSpec {
  name: string;
  description: string;
  pattern: object;
  target: FunctionId;
}

export const RULES: RuleSpec[] = [
  { name: 'StartDeployment', description: 'Every deployment request starts a deployment workflow', pattern: startDeploymentPattern, target: 'deploymentStarter' },
  { name: 'ArgoCdSyncedHealthy', description: 'Argo CD synced and healthy resumes the waiting deployment', pattern: argoCdSyncedHealthyPattern, target: 'argocdStatusRecorder' },
  { name: 'ArgoCdSyncFailed', description: 'A failed sync or degraded app fails the waiting deployment', pattern: argoCdSyncFailedPattern, target: 'argocdStatusRecorder' },
  { name: 'NotifyDeploymentChanged', description: 'Deployment changes go to Slack and GitHub Deployments', pattern: notifyDeploymentChangedPattern, target: 'deploymentNotifier' },
  { name: 'AlarmFired', description: 'An alarm in ALARM fails the bake of that service and region', pattern: alarmFiredPattern, target: 'alarmWatcher' },
  { name: 'StartProvisioning', description: 'A stored provisioning request starts its workflow', pattern: startProvisioningPattern, target: 'provisioningStarter' },
  { name: 'TerraformChanged', description: 'Terraform merges and applies move provisioning requests', pattern: terraformChangedPattern, target: 'terraformChangeRecorder' },
  { name: 'StartServiceCreation', description: 'A reserved service name starts the service-creation workflow', pattern: startServiceCreationPattern, target: 'serviceCreationStarter' },
];

export interface StateMachineSpec {
  definitionFile: string;
  /** `${Name}` placeholders in the ASL and the function whose ARN replaces each. */
  functionSubstitutions: Record<string, FunctionId>;
  /** `${Name}` placeholders for child state machines run with startExecution.sync:2. */
  stateMachineSubstitutions?: Record<string, StateMachineName>;
}

export const STATE_MACHINES: Record<StateMachineName, StateMachineSpec> = {
  deployment: {
    definitionFile: 'workflows/deployment.asl.json',
    functionSubstitutions: {
      AcquireLockFunctionArn: 'deploymentAcquireLock',
      ResolveArtifactFunctionArn: 'deploymentResolveArtifact',
      DeployWaveFunctionArn: 'deploymentDeployWave',
      AwaitSyncFunctionArn: 'deploymentAwaitSync',
      HealthGateFunctionArn: 'deploymentHealthGate',
      StartBakeFunctionArn: 'deploymentStartBake',
      FinishBakeFunctionArn: 'deploymentFinishBake',
      CompleteFunctionArn: 'deploymentComplete',
      PlanRollbackFunctionArn: 'deploymentPlanRollback',
      RestoreWaveFunctionArn: 'deploymentRestoreWave',
      FinishWaveRollbackFunctionArn: 'deploymentFinishWaveRollback',
      FinishRollbackFunctionArn: 'deploymentFinishRollback',
      RecordRollbackFailureFunctionArn: 'deploymentRecordRollbackFailure',
      PrepareApprovalFunctionArn: 'deploymentPrepareApproval',
      PrepareBakeDecisionFunctionArn: 'deploymentPrepareBakeDecision',
      ApplyBakeDecisionFunctionArn: 'deploymentApplyBakeDecision',
      ApplyApprovalOutcomeFunctionArn: 'deploymentApplyApprovalOutcome',
    },
    stateMachineSubstitutions: { ApprovalStateMachineArn: 'approval' },
  },
  approval: {
    definitionFile: 'workflows/approval.asl.json',
    functionSubstitutions: {
      RequestApprovalFunctionArn: 'approvalRequest',
      AwaitDecisionFunctionArn: 'approvalAwaitDecision',
      ExpireApprovalFunctionArn: 'approvalExpire',
      RemindApprovalFunctionArn: 'approvalRemind',
    },
  },
  provisioning: {
    definitionFile: 'workflows/provisioning.asl.json',
    functionSubstitutions: {
      CheckPolicyFunctionArn: 'provisioningCheckPolicy',
      ApplyApprovalFunctionArn: 'provisioningApplyApproval',
      OpenPullRequestFunctionArn: 'provisioningOpenPullRequest',
      AwaitApplyFunctionArn: 'provisioningAwaitApply',
      CompleteFunctionArn: 'provisioningComplete',
      RecordFailureFunctionArn: 'provisioningRecordFailure',
    },
    stateMachineSubstitutions: { ApprovalStateMachineArn: 'approval' },
  },
  serviceCreation: {
    definitionFile: 'workflows/service-creation.asl.json',
    functionSubstitutions: {
      CreateRepositoriesFunctionArn: 'serviceCreateRepositories',
      CommitGitOpsFunctionArn: 'serviceCommitGitOps',
      RegisterFunctionArn: 'serviceRegister',
      RecordFailureFunctionArn: 'serviceRecordFailure',
    },
  },
};

export const TABLES: Record<'main' | 'idempotency', TableDesign> = { main: MAIN_TABLE, idempotency: IDEMPOTENCY_TABLE };
