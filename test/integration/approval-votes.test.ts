import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackVoteReceived } from '../../events/slack-vote-received.js';
import { DynamoDbApprovalStore } from '../../functions/adapters/aws/dynamodb-approval-store.js';
import { DynamoDbCatalogStore } from '../../functions/adapters/aws/dynamodb-catalog-store.js';
import { DynamoDbDeploymentStore } from '../../functions/adapters/aws/dynamodb-deployment-store.js';
import { DynamoDbLockStore } from '../../functions/adapters/aws/dynamodb-lock-store.js';
import { DynamoDbWaitStore } from '../../functions/adapters/aws/dynamodb-wait-store.js';
import { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import { RecordingMetrics, systemClock } from '../../functions/adapters/local/local-adapters.js';
import { approvalIdFor, newApproval } from '../../functions/domain/approval.js';
import { transitionDeployment } from '../../functions/domain/deployment.js';
import { TaskTokenExpiredError } from '../../functions/errors.js';
import type { WorkflowEngine } from '../../functions/ports/index.js';
import { awaitDecision, voteOnApproval } from '../../functions/use-cases/approvals.js';
import { countSlackVote } from '../../functions/use-cases/count-slack-vote.js';
import { endStoppedDeployment } from '../../functions/use-cases/end-stopped-deployment.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';
import { manualDeployment } from '../support/deployments.js';

const TABLE = 'flightplan-approvals';
let dynamoDb: RunningDynamoDb;

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
  await ensureTables(dynamoDb.client, [{ name: TABLE, design: TABLES.main }]);
});

afterAll(async () => {
  await dynamoDb.stop();
});

/**
 * Records every signal Step Functions accepts, so the test can count how often the workflow was
 * resumed. As on Step Functions, a token takes one outcome: a second signal finds the task closed.
 * `failNextSuccess` makes the next SendTaskSuccess fail as a run cut short there would.
 */
function recordingWorkflows(): WorkflowEngine & { successes: unknown[]; failNextSuccess: () => void } {
  const successes: unknown[] = [];
  const closed = new Set<string>();
  let failNext = false;
  return {
    successes,
    failNextSuccess: () => {
      failNext = true;
    },
    start: () => Promise.reject(new Error('not used')),
    sendTaskSuccess: (token, output) => {
      if (failNext) {
        failNext = false;
        return Promise.reject(new Error('Task timed out after 3.00 seconds'));
      }
      if (closed.has(token)) return Promise.reject(new TaskTokenExpiredError('Task Timed Out'));
      closed.add(token);
      successes.push(output);
      return Promise.resolve();
    },
    sendTaskFailure: () => Promise.resolve(),
    sendTaskHeartbeat: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    describe: () => Promise.resolve(undefined),
    executionHistory: () => Promise.resolve(undefined),
  };
}

/** A Slack whose next message update fails, as in an outage. */
class FlakyChat extends RecordingChat {
  failNextUpdate = false;
  override update(...args: Parameters<RecordingChat['update']>): Promise<void> {
    if (this.failNextUpdate) {
      this.failNextUpdate = false;
      return Promise.reject(new Error('Slack chat.update failed: service_unavailable'));
    }
    return super.update(...args);
  }
}

/** The stores on DynamoDB Local, with the recording workflow engine and a Slack that can be made to fail. */
function votingDeps() {
  const workflows = recordingWorkflows();
  const chat = new FlakyChat();
  const deps = {
    approvals: new DynamoDbApprovalStore(dynamoDb.client, TABLE),
    waits: new DynamoDbWaitStore(dynamoDb.client, TABLE),
    catalog: new DynamoDbCatalogStore(dynamoDb.client, TABLE),
    workflows,
    chat,
    clock: systemClock,
    metrics: new RecordingMetrics(),
  };
  return { deps, workflows, chat };
}

let approvalSequence = 0;

/** A pending prod approval asked for by alice, posted to Slack, whose workflow is parked on `token-{id}` unless told not yet. */
async function parkedApproval(
  deps: Parameters<typeof awaitDecision>[0] & { chat: RecordingChat },
  parked: 'parked' | 'not yet parked' = 'parked',
) {
  approvalSequence += 1;
  const approval = newApproval({
    id: `parked-${approvalSequence}.approval`,
    policy: 'prod-deploy',
    team: 'payments',
    requestedBy: 'alice',
    requesters: [{ personId: 'alice', name: 'alice', bot: false }],
    subject: {
      kind: 'deployment',
      id: `parked-${approvalSequence}`,
      summary: 'orders-api v1 → prod',
      binding: 'sha256:abc',
    },
    now: systemClock.now(),
  });
  approval.slack = await deps.chat.post({ channel: '#deploys-payments', text: 'approval' });
  await deps.approvals.create({
    approval,
    event: { at: approval.createdAt, actor: 'alice', action: 'approval.requested', message: 'requested' },
  });
  if (parked === 'parked') await awaitDecision(deps, { approvalId: approval.id, taskToken: `token-${approval.id}` });
  return approval;
}

const bob = { id: 'bob', slackUserId: 'UBOB', teams: ['payments'] };

describe('votes on DynamoDB Local', () => {
  it('lets exactly one of many simultaneous votes decide, and resumes the workflow once', async () => {
    const { deps, workflows } = votingDeps();
    const { approvals, metrics } = deps;
    const approval = newApproval({
      id: 'race.approval',
      policy: 'prod-deploy',
      team: 'payments',
      requestedBy: 'alice',
      requesters: [{ personId: 'alice', name: 'alice', bot: false }],
      subject: { kind: 'deployment', id: 'race', summary: 'orders-api v1 → prod', binding: 'sha256:abc' },
      now: systemClock.now(),
    });
    await approvals.create({
      approval,
      event: { at: approval.createdAt, actor: 'alice', action: 'approval.requested', message: 'requested' },
    });
    await awaitDecision(deps, { approvalId: approval.id, taskToken: 'token-1' });

    const voters = Array.from({ length: 8 }, (_, index) => ({
      id: `member-${index}`,
      slackUserId: `U${index}`,
      teams: ['payments'],
    }));
    const outcomes = await Promise.all(
      voters.map((voter) =>
        voteOnApproval(deps, { approvalId: approval.id, voter, decision: 'APPROVE', via: 'slack' }),
      ),
    );

    expect(outcomes.filter((outcome) => outcome.kind === 'decided')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.kind === 'refused' && outcome.code === 'closed')).toHaveLength(7);
    const stored = await approvals.get(approval.id);
    expect(stored?.status).toBe('APPROVED');
    expect(stored?.votes).toHaveLength(1);
    expect(metrics.points.filter((point) => point.name === 'ApprovalLatency')).toHaveLength(1);
    expect(workflows.successes).toEqual([
      { approvalId: approval.id, status: 'APPROVED', reason: `approved by ${stored?.votes[0]?.voter ?? ''}` },
    ]);
  });
});

describe('a decided approval is never left parked', () => {
  it('resumes the workflow on the retry when the run that decided died signalling it', async () => {
    const { deps, workflows } = votingDeps();
    const approval = await parkedApproval(deps);
    workflows.failNextSuccess();
    const vote = { approvalId: approval.id, voter: bob, decision: 'APPROVE' as const, via: 'slack' as const };
    await expect(voteOnApproval(deps, vote)).rejects.toThrow('Task timed out');
    expect((await deps.approvals.get(approval.id))?.status).toBe('APPROVED');
    expect(workflows.successes).toEqual([]);

    expect(await voteOnApproval(deps, vote)).toMatchObject({ kind: 'refused', code: 'closed' });
    expect(workflows.successes).toEqual([{ approvalId: approval.id, status: 'APPROVED', reason: 'approved by bob' }]);
  });

  it('resumes the workflow on the retry when Slack failed the message update after the vote was recorded', async () => {
    const { deps, workflows, chat } = votingDeps();
    const approval = await parkedApproval(deps);
    chat.failNextUpdate = true;
    const vote = { approvalId: approval.id, voter: bob, decision: 'APPROVE' as const, via: 'slack' as const };
    await voteOnApproval(deps, vote).catch(() => undefined);
    expect(await voteOnApproval(deps, vote)).toMatchObject({ kind: 'refused', code: 'closed' });
    expect(workflows.successes).toHaveLength(1);
    const message = chat.messages.find((candidate) => candidate.ts === approval.slack?.ts);
    expect(message?.history.length).toBe(1);
    expect(JSON.stringify(message?.blocks)).toMatch(/approved/iu);
  });

  it('resumes a workflow that parks its token after the approval was decided', async () => {
    const { deps, workflows } = votingDeps();
    // The vote lands while the workflow is between two waits (it sent the half-time reminder).
    const approval = await parkedApproval(deps, 'not yet parked');
    await voteOnApproval(deps, { approvalId: approval.id, voter: bob, decision: 'REJECT', via: 'slack' });
    expect(workflows.successes).toEqual([]);
    await awaitDecision(deps, { approvalId: approval.id, taskToken: 'token-after-the-decision' });
    expect(workflows.successes).toEqual([{ approvalId: approval.id, status: 'REJECTED', reason: 'rejected by bob' }]);
    expect(await deps.waits.get(`approval#${approval.id}`)).toBeUndefined();
  });
});

describe('countSlackVote', () => {
  // A click names a Slack user: the directory says who that is.
  beforeAll(async () => {
    await new DynamoDbCatalogStore(dynamoDb.client, TABLE).updatePerson('bob', () => ({
      id: 'bob',
      username: 'bob',
      slackUserId: 'UBOB',
      teams: ['payments'],
    }));
  });
  const click = (approvalId: string, actionTs = '1700000000.000200') =>
    slackVoteReceived.parse(
      slackVoteReceived.build(
        { approvalId, slackUserId: 'UBOB', decision: 'APPROVE', channel: 'C0DEPLOYS', actionTs },
        { causationId: `slack:UBOB:${actionTs}` },
      ).detail,
    );
  const ephemerals = (chat: RecordingChat) =>
    chat.messages.filter((message) => message.ephemeralTo === 'UBOB').map((message) => message.text);

  it('counts a click delivered twice once, resumes the workflow once and answers each delivery', async () => {
    const { deps, workflows, chat } = votingDeps();
    const approval = await parkedApproval(deps);
    const delivered = click(approval.id);
    const results = await Promise.all([countSlackVote(deps, delivered), countSlackVote(deps, delivered)]);
    expect(results.filter((result) => result.counted)).toHaveLength(1);
    expect((await deps.approvals.get(approval.id))?.votes).toHaveLength(1);
    expect(workflows.successes).toHaveLength(1);
    expect(ephemerals(chat)).toContain('Thanks: the approval is now APPROVED.');
    expect(ephemerals(chat)).toHaveLength(2);
  });

  it('answers a click on an approval that does not exist instead of failing the delivery', async () => {
    const { deps, chat } = votingDeps();
    expect(await countSlackVote(deps, click('gone.approval'))).toMatchObject({ counted: false });
    expect(ephemerals(chat)).toEqual(['Approval gone.approval does not exist, so the vote was not counted.']);
  });
});

describe('a deployment execution stopped from the Step Functions console', () => {
  const stoppedWhileAwaiting = async (id: string, endedBeforeRetry: boolean) => {
    const { deps } = votingDeps();
    const stopping = {
      ...deps,
      deployments: new DynamoDbDeploymentStore(dynamoDb.client, TABLE),
      locks: new DynamoDbLockStore(dynamoDb.client, TABLE),
    };
    const now = systemClock.now();
    const deployment = manualDeployment({ id, environment: 'prod', version: 'v1', now });
    await stopping.deployments.create(deployment);
    await stopping.deployments.update(deployment.deployment.id, (current) =>
      transitionDeployment(current, 'AWAITING_APPROVAL', { now, actor: 'flightplan', action: 'a', message: 'a' }),
    );
    const approval = newApproval({
      id: approvalIdFor(deployment.deployment.id),
      policy: 'prod-deploy',
      team: 'payments',
      requestedBy: 'alice',
      requesters: [{ personId: 'alice', name: 'alice', bot: false }],
      subject: { kind: 'deployment', id: deployment.deployment.id, summary: 'orders-api v1 → prod', binding: 'v1' },
      now,
    });
    await deps.approvals.create({
      approval,
      event: { at: now, actor: 'alice', action: 'approval.requested', message: 'requested' },
    });
    // A first invocation that wrote ABORTED and then failed (the lock, Slack): Lambda runs it again.
    if (endedBeforeRetry)
      await stopping.deployments.update(deployment.deployment.id, (current) =>
        transitionDeployment(current, 'ABORTED', { now, actor: 'flightplan', action: 'a', message: 'a' }),
      );
    await endStoppedDeployment(stopping, {
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:flightplan-deployment:${id}`,
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:flightplan-deployment',
      name: id,
      status: 'ABORTED',
      input: JSON.stringify({ deploymentId: id }),
      error: 'Operator',
      cause: 'Stopped from the console',
    });
    return { deps, approval };
  };

  it('voids the approval it waited for, so a later vote counts for nothing', async () => {
    const { deps, approval } = await stoppedWhileAwaiting('stopped-1', false);
    expect((await deps.approvals.get(approval.id))?.status).toBe('VOID');
    const vote = { approvalId: approval.id, voter: bob, decision: 'APPROVE' as const, via: 'slack' as const };
    expect(await voteOnApproval(deps, vote)).toMatchObject({ kind: 'refused', code: 'closed' });
  });

  it('voids the approval when Lambda retries the end of a deployment that the first attempt had ended', async () => {
    const { deps, approval } = await stoppedWhileAwaiting('stopped-2', true);
    expect((await deps.approvals.get(approval.id))?.status).toBe('VOID');
  });
});
