import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbApprovalStore } from '../../functions/adapters/aws/dynamodb-approval-store.js';
import { DynamoDbWaitStore } from '../../functions/adapters/aws/dynamodb-wait-store.js';
import { RecordingChat } from '../../functions/adapters/local/recording-chat.js';
import { RecordingMetrics, systemClock } from '../../functions/adapters/local/local-adapters.js';
import { newApproval } from '../../functions/domain/approval.js';
import type { WorkflowEngine } from '../../functions/ports/index.js';
import { awaitDecision, voteOnApproval } from '../../functions/use-cases/approvals.js';
import { ensureTables, startDynamoDb, type RunningDynamoDb } from '../../infra/local/dynamodb-local.js';
import { TABLES } from '../../infra/system.js';

const TABLE = 'flightplan-approvals';
let dynamoDb: RunningDynamoDb;

beforeAll(async () => {
  dynamoDb = await startDynamoDb({});
  await ensureTables(dynamoDb.client, [{ name: TABLE, design: TABLES.main }]);
});

afterAll(async () => {
  await dynamoDb.stop();
});

/** Records every signal, so the test can count how often the workflow was resumed. */
function recordingWorkflows(): WorkflowEngine & { successes: unknown[] } {
  const successes: unknown[] = [];
  return {
    successes,
    start: () => Promise.reject(new Error('not used')),
    sendTaskSuccess: (_token, output) => {
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

describe('votes on DynamoDB Local', () => {
  it('lets exactly one of many simultaneous votes decide, and resumes the workflow once', async () => {
    const approvals = new DynamoDbApprovalStore(dynamoDb.client, TABLE);
    const waits = new DynamoDbWaitStore(dynamoDb.client, TABLE);
    const workflows = recordingWorkflows();
    const metrics = new RecordingMetrics();
    const deps = { approvals, waits, workflows, chat: new RecordingChat(), clock: systemClock, metrics };
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
