import { createHash, randomUUID } from 'node:crypto';
import { escapeMrkdwn } from '../domain/slack-text.js';
import { provisioningRequested } from '../../events/self-service-requested.js';
import type { terraformApplyCompleted, terraformPullRequestClosed } from '../../events/terraform-changed.js';
import { approvalIdFor, type Approval } from '../domain/approval.js';
import { mayOperate } from '../domain/authorization.js';
import { PLATFORM_CHANNEL, deployChannelOf } from '../domain/catalog.js';
import {
  applyOutcomeOf,
  checkProvisioningPolicy,
  fingerprintOf,
  isProvisioningTerminal,
  newProvisioningRequest,
  outputsOf,
  provisioningRequestBodySchema,
  transitionProvisioning,
  type ProvisioningRequest,
  type ProvisioningRequestBody,
  type ApplyRun,
} from '../domain/provisioning.js';
import { pullRequestBodyOf, pullRequestTitleOf } from '../domain/provisioning-pull-request.js';
import { renderTerraform } from '../domain/terraform.js';
import {
  ConflictError,
  ForbiddenError,
  InvalidTransitionError,
  NotFoundError,
  PolicyViolationError,
  ValidationError,
} from '../errors.js';
import type {
  ApprovalStore,
  CatalogStore,
  Chat,
  Clock,
  CodeHost,
  EventPublisher,
  ProvisioningStore,
  SelfServiceSettings,
  WaitStore,
  WorkflowEngine,
} from '../ports/index.js';
import { approvalTermsWith } from './approval-terms.js';
import type { ApprovalRequest } from './approvals.js';
import { teamsOf, type Caller } from './callers.js';
import { WORKFLOW_ACTOR } from './deployment-context.js';
import { describeFailure, type WorkflowFailure } from './finish-deployment.js';
import { signalWait } from './task-waits.js';

const provisioningWaitKey = (requestId: string) => `provisioning#${requestId}`;

async function loadRequest(provisioning: ProvisioningStore, id: string): Promise<ProvisioningRequest> {
  const request = await provisioning.get(id);
  if (!request) throw new NotFoundError(`Provisioning request ${id} does not exist`);
  return request;
}

/** The same caller and Idempotency-Key always name the same request; without a key every call is new. */
const requestIdFor = (caller: Caller, idempotencyKey: string | undefined): string =>
  `prv-${idempotencyKey ? createHash('sha256').update(`${caller.id}\n${idempotencyKey}`).digest('hex').slice(0, 24) : randomUUID().replace(/-/gu, '').slice(0, 24)}`;

/**
 * A request from the portal: the owning team or platform-team asks, the policy is checked (every
 * problem listed, nothing stored when there is one), the resource is claimed in the same write
 * as the request, and the request goes on the bus. A retry with the same Idempotency-Key returns
 * the first request; the same key with a different request is a conflict.
 */
export async function submitProvisioningRequest(
  deps: {
    catalog: CatalogStore;
    provisioning: ProvisioningStore;
    bus: EventPublisher;
    clock: Clock;
    selfService: SelfServiceSettings;
  },
  caller: Caller,
  body: ProvisioningRequestBody,
  idempotencyKey: string | undefined,
): Promise<{ request: ProvisioningRequest; replayed: boolean }> {
  const id = requestIdFor(caller, idempotencyKey);
  const previous = idempotencyKey ? await deps.provisioning.get(id) : undefined;
  if (previous) return replay(deps, previous, body);
  const service = await deps.catalog.getService(body.service);
  if (service?.status !== 'ACTIVE') {
    throw new ValidationError('The request is not valid', [
      { path: 'service', message: `${body.service} is not an active service in the catalog` },
    ]);
  }
  if (!mayOperate(await teamsOf(deps, caller), service.team))
    throw new ForbiddenError(`${caller.name} is neither in ${service.team} nor in platform-team`);
  const problems = checkProvisioningPolicy(
    body,
    service,
    await deps.provisioning.countClaims(body.service, body.environment, body.region, body.type),
    { account: deps.selfService.accounts[body.environment], snsHttpsDomains: deps.selfService.snsHttpsDomains },
  );
  if (problems.length > 0) throw new ValidationError('The request breaks the provisioning policy', problems);

  const now = deps.clock.now();
  const request = newProvisioningRequest({
    id,
    body,
    service,
    requestedBy: caller.id,
    accounts: deps.selfService.accounts,
    now,
  });
  const created = await deps.provisioning.create({
    request,
    event: {
      at: now,
      actor: caller.id,
      action: 'provisioning.requested',
      message: `${caller.name} asked for ${request.type} ${request.physicalName} in ${request.environment}/${request.region}`,
      toStatus: 'REQUESTED',
    },
  });
  if (created === 'claimed') {
    throw new ConflictError(
      `${request.type} ${request.name} of ${request.service} in ${request.environment}/${request.region} already exists or is being provisioned, or another service's resource is named ${request.physicalName}`,
    );
  }
  if (created === 'exists') return replay(deps, await loadRequest(deps.provisioning, id), body);
  await publishRequested(deps.bus, request);
  return { request, replayed: false };
}

async function replay(
  deps: { bus: EventPublisher },
  previous: ProvisioningRequest,
  body: ProvisioningRequestBody,
): Promise<{ request: ProvisioningRequest; replayed: boolean }> {
  if (fingerprintOf(body) !== previous.fingerprint)
    throw new ConflictError('This Idempotency-Key was used for a different request');
  // The first call may have stored the request and then failed to publish it; starting is idempotent.
  if (previous.status === 'REQUESTED') await publishRequested(deps.bus, previous);
  return { request: previous, replayed: true };
}

function publishRequested(bus: EventPublisher, request: ProvisioningRequest): Promise<void> {
  return bus.publish([
    provisioningRequested.build(
      { requestId: request.id, requestedBy: request.requestedBy },
      { correlationId: request.id, causationId: `portal:${request.requestedBy}` },
    ),
  ]);
}

/** Target of the StartProvisioning rule; the execution is named after the request, so a repeat is a no-op. */
export async function startProvisioning(
  deps: { provisioning: ProvisioningStore; workflows: WorkflowEngine },
  input: { requestId: string },
): Promise<{ executionArn: string; alreadyStarted: boolean }> {
  await loadRequest(deps.provisioning, input.requestId);
  return deps.workflows.start('provisioning', input.requestId, { requestId: input.requestId });
}

const bodyOf = (request: ProvisioningRequest): ProvisioningRequestBody =>
  provisioningRequestBodySchema.parse({
    service: request.service,
    environment: request.environment,
    region: request.region,
    type: request.type,
    name: request.name,
    spec: request.spec,
    ...(request.reason ? { reason: request.reason } : {}),
  });

/**
 * The workflow's policy check, again: quotas may have filled up since the request was accepted.
 * Passing moves the request to AWAITING_APPROVAL and says which approval it needs: HML one member
 * of the owning team, PROD two approvers with at least one from platform-team.
 */
export async function checkProvisioningRequest(
  deps: { provisioning: ProvisioningStore; catalog: CatalogStore; clock: Clock; selfService: SelfServiceSettings },
  input: { requestId: string },
): Promise<{ request: ApprovalRequest }> {
  const request = await loadRequest(deps.provisioning, input.requestId);
  if (isProvisioningTerminal(request.status))
    throw new InvalidTransitionError(`Provisioning request ${request.id} already ended ${request.status}`);
  const service = await deps.catalog.getService(request.service);
  if (!service) throw new PolicyViolationError(`${request.service} is no longer in the catalog`);
  if (request.status === 'REQUESTED') {
    // The request's own claim is one of those counted.
    const existing =
      (await deps.provisioning.countClaims(request.service, request.environment, request.region, request.type)) - 1;
    const problems = checkProvisioningPolicy(bodyOf(request), service, existing, {
      account: request.account,
      snsHttpsDomains: deps.selfService.snsHttpsDomains,
    });
    if (problems.length > 0)
      throw new PolicyViolationError(
        `The request breaks the provisioning policy: ${problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`,
      );
  }
  const approvalId = approvalIdFor(request.id);
  const policy = request.environment === 'prod' ? 'prod-resource' : 'hml-resource';
  await deps.provisioning.update(request.id, (current) =>
    current.status === 'REQUESTED'
      ? transitionProvisioning(
          current,
          'AWAITING_APPROVAL',
          {
            now: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'provisioning.policy-passed',
            message: `Policy checks passed; waiting for ${policy} approval`,
          },
          { approvalId },
        )
      : undefined,
  );
  const requesters = [{ personId: request.requestedBy, name: request.requestedBy, bot: false }];
  return {
    request: {
      approvalId,
      policy,
      team: request.team,
      requestedBy: request.requestedBy,
      requesters,
      terms: await approvalTermsWith(deps, policy, request.team, requesters),
      subject: {
        kind: 'provisioning',
        id: request.id,
        summary: `${request.type} ${request.physicalName} for ${request.service} in ${request.environment}/${request.region}`,
        binding: request.fingerprint,
        link: `/v1/provisioning-requests/${request.id}`,
      },
      // PROD needs a platform-team vote, so it is asked where platform-team is.
      channel: request.environment === 'prod' ? PLATFORM_CHANNEL : deployChannelOf(service),
    },
  };
}

/** APPROVED moves on to the pull request; REJECTED or EXPIRED ends the request REJECTED and frees the name. */
export async function applyProvisioningApproval(
  deps: { provisioning: ProvisioningStore; clock: Clock },
  input: { requestId: string; status: string; reason?: string | null | undefined },
): Promise<{ approved: boolean }> {
  const approved = input.status === 'APPROVED';
  await deps.provisioning.update(input.requestId, (current) =>
    transitionProvisioning(
      current,
      approved ? current.status : 'REJECTED',
      {
        now: deps.clock.now(),
        actor: WORKFLOW_ACTOR,
        action: approved ? 'provisioning.approved' : 'provisioning.rejected',
        message: approved
          ? `Approved (${input.reason ?? 'quorum reached'})`
          : `Not approved: ${input.status.toLowerCase()} (${input.reason ?? 'no reason given'})`,
      },
      approved ? {} : { failureReason: `approval ${input.status.toLowerCase()}: ${input.reason ?? ''}` },
    ),
  );
  return { approved };
}

/** Renders the Terraform and opens the pull request that adds it; a retried step finds the same pull request. */
export async function openProvisioningPullRequest(
  deps: {
    provisioning: ProvisioningStore;
    approvals: ApprovalStore;
    codeHost: CodeHost;
    clock: Clock;
    selfService: SelfServiceSettings;
  },
  input: { requestId: string },
): Promise<{ number: number; url: string }> {
  const request = await loadRequest(deps.provisioning, input.requestId);
  if (request.pullRequest) return { number: request.pullRequest.number, url: request.pullRequest.url };
  const approval: Approval | undefined = request.approvalId ? await deps.approvals.get(request.approvalId) : undefined;
  const branch = `flightplan/${request.id}`;
  const pullRequest = await deps.codeHost.openPullRequest({
    repository: deps.selfService.terraformRepository,
    branch,
    files: [{ path: request.path, content: renderTerraform(request, deps.selfService.terraformModuleSource) }],
    title: pullRequestTitleOf(request),
    body: pullRequestBodyOf(request, approval),
  });
  await deps.provisioning.update(request.id, (current) =>
    current.pullRequest
      ? undefined
      : transitionProvisioning(
          current,
          'PR_OPEN',
          {
            now: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'provisioning.pull-request-opened',
            message: `Opened ${pullRequest.url}`,
          },
          {
            pullRequest: {
              repository: deps.selfService.terraformRepository,
              number: pullRequest.number,
              url: pullRequest.url,
              branch,
              state: 'open',
            },
          },
        ),
  );
  return pullRequest;
}

/** Parks the workflow until the pull request is merged and applied (or closed); already settled resumes it at once. */
export async function awaitProvisioningApply(
  deps: { provisioning: ProvisioningStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  input: { requestId: string; taskToken: string },
): Promise<void> {
  await deps.waits.put({
    key: provisioningWaitKey(input.requestId),
    taskToken: input.taskToken,
    deploymentId: input.requestId,
    createdAt: deps.clock.now(),
  });
  await resumeIfSettled(deps, await loadRequest(deps.provisioning, input.requestId));
}

async function resumeIfSettled(
  deps: { waits: WaitStore; workflows: WorkflowEngine },
  request: ProvisioningRequest,
): Promise<void> {
  const outcome = applyOutcomeOf(request);
  if (outcome.kind === 'waiting') return;
  const wait = await deps.waits.get(provisioningWaitKey(request.id));
  if (!wait) return;
  await signalWait(
    deps,
    wait,
    outcome.kind === 'applied' ? { success: { applied: true } } : { error: outcome.error, cause: outcome.reason },
  );
}

type PullRequestClosed = ReturnType<typeof terraformPullRequestClosed.parse>;
type ApplyCompleted = ReturnType<typeof terraformApplyCompleted.parse>;

export type TerraformChange = { pullRequestClosed: PullRequestClosed } | { applyCompleted: ApplyCompleted };

/** What the TerraformChanged rule delivers: a Terraform pull request closed, or an apply finished. */
export function recordTerraformChange(
  deps: { provisioning: ProvisioningStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  change: TerraformChange,
): Promise<{ requestId?: string }> {
  return 'pullRequestClosed' in change
    ? recordTerraformPullRequestClosed(deps, change.pullRequestClosed)
    : recordTerraformApply(deps, change.applyCompleted);
}

/** A Terraform pull request was merged (APPLYING; an apply that finished first is picked up) or closed unmerged. */
export async function recordTerraformPullRequestClosed(
  deps: { provisioning: ProvisioningStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  event: PullRequestClosed,
): Promise<{ requestId?: string }> {
  const requestId = await deps.provisioning.findByPullRequest(event.repository, event.number);
  if (!requestId) return {};
  const earlyRun = event.mergeCommitSha
    ? await deps.provisioning.earlyApplyRun(event.repository, event.mergeCommitSha)
    : undefined;
  const request = await deps.provisioning.update(requestId, (current) => {
    if (!current.pullRequest || current.pullRequest.state !== 'open' || isProvisioningTerminal(current.status))
      return undefined;
    const audit = { now: deps.clock.now(), actor: event.closedBy };
    if (event.merged) {
      return transitionProvisioning(
        current,
        'APPLYING',
        {
          ...audit,
          action: 'provisioning.pull-request-merged',
          message: `${event.closedBy} merged #${event.number}; waiting for the apply`,
        },
        {
          pullRequest: {
            ...current.pullRequest,
            state: 'merged',
            closedBy: event.closedBy,
            ...(event.mergeCommitSha ? { mergeCommitSha: event.mergeCommitSha } : {}),
          },
          ...(earlyRun ? { apply: earlyRun } : {}),
        },
      );
    }
    return transitionProvisioning(
      current,
      current.status,
      {
        ...audit,
        action: 'provisioning.pull-request-closed',
        message: `${event.closedBy} closed #${event.number} without merging`,
      },
      { pullRequest: { ...current.pullRequest, state: 'closed', closedBy: event.closedBy } },
    );
  });
  if (event.merged && event.mergeCommitSha && !request.apply) {
    // An apply reported between the early-run read above and the merge's write found no merge
    // commit and was kept as an early run: read it again now that the merge is written.
    const lateRun = await deps.provisioning.earlyApplyRun(event.repository, event.mergeCommitSha);
    if (lateRun) return recordApplyRun(deps, requestId, lateRun);
  }
  await resumeIfSettled(deps, request);
  return { requestId };
}

/** The apply workflow finished for a merge commit; a run seen before its merge is kept until the merge arrives. */
export async function recordTerraformApply(
  deps: { provisioning: ProvisioningStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  event: ApplyCompleted,
): Promise<{ requestId?: string }> {
  const run = {
    conclusion: event.conclusion,
    runUrl: event.runUrl,
    headSha: event.headSha,
    runAttempt: event.runAttempt,
  };
  let requestId = await deps.provisioning.findByMergeCommit(event.repository, event.headSha);
  if (!requestId) {
    await deps.provisioning.recordEarlyApplyRun(event.repository, run);
    // The merge may have been recorded between the lookup and the write above.
    requestId = await deps.provisioning.findByMergeCommit(event.repository, event.headSha);
    if (!requestId) return {};
  }
  return recordApplyRun(deps, requestId, run);
}

/** Records an apply run on its request (the newest attempt counts) and resumes the workflow if that settles it. */
async function recordApplyRun(
  deps: { provisioning: ProvisioningStore; waits: WaitStore; workflows: WorkflowEngine; clock: Clock },
  requestId: string,
  run: ApplyRun,
): Promise<{ requestId: string }> {
  const request = await deps.provisioning.update(requestId, (current) =>
    // The newest attempt of the run counts: a re-run supersedes what an older attempt said.
    (current.apply && current.apply.runAttempt >= run.runAttempt) || isProvisioningTerminal(current.status)
      ? undefined
      : transitionProvisioning(
          current,
          current.status,
          {
            now: deps.clock.now(),
            actor: 'github',
            action: 'provisioning.applied',
            message: `Terraform apply ended ${run.conclusion}: ${run.runUrl}`,
          },
          { apply: run },
        ),
  );
  await resumeIfSettled(deps, request);
  return { requestId };
}

/** Merged and applied: COMPLETED with the outputs and the secret path, and the team is told. */
export async function completeProvisioning(
  deps: { provisioning: ProvisioningStore; catalog: CatalogStore; chat: Chat; clock: Clock },
  input: { requestId: string },
): Promise<{ status: ProvisioningRequest['status']; outputs: Record<string, string> | null }> {
  const before = await loadRequest(deps.provisioning, input.requestId);
  const request = await deps.provisioning.update(input.requestId, (current) =>
    current.status === 'COMPLETED'
      ? undefined
      : transitionProvisioning(
          current,
          'COMPLETED',
          {
            now: deps.clock.now(),
            actor: WORKFLOW_ACTOR,
            action: 'provisioning.completed',
            message: `Applied; connection details at ${current.secretPath}`,
          },
          { outputs: outputsOf(current) },
        ),
  );
  if (before.status !== 'COMPLETED') {
    const service = await deps.catalog.getService(request.service);
    await deps.chat.post({
      channel: service ? deployChannelOf(service) : `#deploys-${request.team}`,
      text: `:white_check_mark: ${request.type} ${request.physicalName} for ${request.service} is ready in ${request.environment}/${request.region} (asked by ${escapeMrkdwn(request.requestedBy)}). Connection details: ${request.secretPath}`,
    });
  }
  return { status: request.status, outputs: request.outputs };
}

/** Any failure on the way ends the request FAILED with a readable reason, and frees the name. */
export async function failProvisioning(
  deps: { provisioning: ProvisioningStore; clock: Clock },
  input: { requestId: string; failure: WorkflowFailure },
): Promise<{ status: ProvisioningRequest['status'] }> {
  const reason = describeFailure(input.failure);
  const request = await deps.provisioning.update(input.requestId, (current) =>
    isProvisioningTerminal(current.status)
      ? undefined
      : transitionProvisioning(
          current,
          'FAILED',
          { now: deps.clock.now(), actor: WORKFLOW_ACTOR, action: 'provisioning.failed', message: reason },
          { failureReason: reason },
        ),
  );
  return { status: request.status };
}
