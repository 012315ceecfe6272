import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Context } from 'aws-lambda';
import { localClient } from '../../infra/local/dynamodb-local.js';
import {
  DynamoDbExecutionJournal,
  EXECUTIONS_TABLE_DESIGN,
  MemoryExecutionJournal,
  type ExecutionJournal,
} from '../../infra/local/execution-journal.js';
import { ensureTables } from '../../infra/local/dynamodb-local.js';
import { releasePayload, signedDelivery } from '../../infra/local/github-payloads.js';
import {
  LocalWorkflowEngine,
  type HistoryEvent,
  type LocalStateMachine,
} from '../../infra/local/local-workflow-engine.js';
import type { LocalRuntime } from '../../infra/local/runtime.js';
import type { StateMachineName } from '../../functions/ports/index.js';
import { portalClient, startTestRuntime } from '../support/local-runtime.js';

let runtime: LocalRuntime;
let stopRuntime: () => Promise<void>;
let table = 0;

beforeAll(async () => {
  ({ runtime, stop: stopRuntime } = await startTestRuntime());
});

afterAll(async () => {
  await stopRuntime();
});

/** A journal of its own in the runtime's DynamoDB Local, as `npm start` keeps it. */
async function freshJournal(): Promise<ExecutionJournal> {
  table += 1;
  const client = localClient(runtime.dynamoDbEndpoint);
  const name = `durable-test-${String(table)}`;
  await ensureTables(client, [{ name, design: EXECUTIONS_TABLE_DESIGN }]);
  return new DynamoDbExecutionJournal(client, name);
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const named = (history: HistoryEvent[], type: string) => history.filter((event) => event.type === type);
const engineFor = (
  machines: Partial<Record<StateMachineName, LocalStateMachine>>,
  journal: ExecutionJournal,
  options: { timeScale?: number; now?: () => number } = {},
) =>
  new LocalWorkflowEngine(machines as Record<StateMachineName, LocalStateMachine>, options.timeScale ?? 1, undefined, {
    journal,
    ...(options.now ? { now: options.now } : {}),
  });
const fn = (body: (payload: unknown) => unknown) => (payload: unknown, _context: Context) =>
  Promise.resolve(body(payload));

const waveMap = (last: object) => ({
  StartAt: 'Plan',
  States: {
    Plan: { Type: 'Pass', Result: ['a', 'b', 'c'], ResultPath: '$.items', Next: 'Each item' },
    'Each item': {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemSelector: { 'item.$': '$$.Map.Item.Value' },
      MaxConcurrency: 1,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Record item',
        States: {
          'Record item': {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: '${Record}', Payload: { 'item.$': '$.item' } },
            ResultPath: null,
            Next: 'Hold item',
          },
          'Hold item': {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: '${Hold}', Payload: { 'item.$': '$.item', 'taskToken.$': '$$.Task.Token' } },
            TimeoutSeconds: 3600,
            ResultPath: '$.held',
            End: true,
          },
        },
      },
      ResultPath: '$.results',
      Next: 'Done',
    },
    Done: last,
  },
});

describe('durable local executions', () => {
  it('resumes a persisted execution mid-Map, on the definition it started with, and the same task token still works', async () => {
    const journal = await freshJournal();
    const recorded: string[] = [];
    const held: string[] = [];
    const tokens = new Map<string, string>();
    const functions = {
      Record: fn((payload) => {
        recorded.push((payload as { item: string }).item);
        return {};
      }),
      Hold: fn((payload) => {
        const { item, taskToken } = payload as { item: string; taskToken: string };
        held.push(item);
        tokens.set(item, taskToken);
        return {};
      }),
    };
    const before = engineFor({ deployment: { definition: waveMap({ Type: 'Succeed' }), functions } }, journal);
    const { executionArn } = await before.start('deployment', 'mid-map', { run: 1 });
    await before.sendTaskSuccess(await until(() => tokens.get('a'), 'the token of a'), { ok: 'a' });
    await until(
      async () =>
        named(await before.getExecutionHistory(executionArn), 'TaskSubmitted').length === 2 ? true : undefined,
      'b to wait for its token',
    );
    await before.stopAll();

    // The file changed meanwhile: the running execution keeps the definition it started with.
    const after = engineFor(
      {
        deployment: {
          definition: waveMap({ Type: 'Fail', Error: 'NewDefinition', Cause: 'the changed file ran' }),
          functions,
        },
      },
      journal,
    );
    expect(await after.resume()).toMatchObject({ resumed: 1, compensated: 0, failed: 0 });
    await after.sendTaskSuccess(tokens.get('b') ?? '', { ok: 'b' });
    await after.sendTaskSuccess(await until(() => tokens.get('c'), 'the token of c'), { ok: 'c' });
    const ended = await after.waitFor(executionArn);

    expect(ended.status, ended.cause).toBe('SUCCEEDED');
    expect((ended.output as { results: { held: unknown }[] }).results.map((result) => result.held)).toEqual([
      { ok: 'a' },
      { ok: 'b' },
      { ok: 'c' },
    ]);
    expect(recorded).toEqual(['a', 'b', 'c']);
    expect(held).toEqual(['a', 'b', 'c']);
    const history = await after.getExecutionHistory(executionArn);
    expect(
      named(history, 'MapIterationStarted').map(
        (event) => (event['mapIterationStartedEventDetails'] as { index: number }).index,
      ),
    ).toEqual([0, 1, 2]);
    expect(history.map((event) => event.id)).toEqual(history.map((_event, index) => index + 1));
    expect((await after.listExecutions({ status: 'SUCCEEDED' })).map((execution) => execution.name)).toEqual([
      'mid-map',
    ]);
  });

  it('resumes a Wait with the time that remained, not the whole wait again', async () => {
    const journal = await freshJournal();
    const definition = {
      StartAt: 'Pause a day',
      States: {
        'Pause a day': { Type: 'Wait', Seconds: 86_400, Next: 'Wake' },
        Wake: { Type: 'Pass', Result: 'woke', End: true },
      },
    };
    const before = engineFor({ deployment: { definition, functions: {} } }, journal);
    const { executionArn } = await before.start('deployment', 'a-day', {});
    const dueAt = await until(async () => {
      const position = (await journal.get(executionArn))?.position;
      return position ? (JSON.parse(position) as { waitDueAt?: number }).waitDueAt : undefined;
    }, 'the due time to be recorded');
    await before.stopAll();

    // The next start happens a day later, less a moment: only that moment is left to wait.
    const after = engineFor({ deployment: { definition, functions: {} } }, journal, {
      now: () => Date.now() + 86_400_000 - 100,
    });
    await after.resume();
    const ended = await after.waitFor(executionArn);

    expect(ended).toMatchObject({ status: 'SUCCEEDED', output: 'woke' });
    const history = await after.getExecutionHistory(executionArn);
    expect(named(history, 'WaitStateEntered')).toHaveLength(1);
    expect(named(history, 'WaitStateExited')).toHaveLength(1);
    expect(dueAt).toBeGreaterThan(Date.parse(history[0]?.timestamp ?? '') + 86_399_000);
  });

  it('retries a Task that was running when the process died, by its Retry policy, as a lost Lambda invocation', async () => {
    const journal = new MemoryExecutionJournal();
    let calls = 0;
    const definition = {
      StartAt: 'Commit digest',
      States: {
        'Commit digest': {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: '${Commit}', Payload: { 'region.$': '$.region' } },
          ResultSelector: { 'revision.$': '$.Payload.revision' },
          Retry: [{ ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 2, MaxAttempts: 3 }],
          End: true,
        },
      },
    };
    const before = engineFor(
      {
        deployment: {
          definition,
          functions: {
            Commit: () => {
              calls += 1;
              return new Promise(() => undefined);
            },
          },
        },
      },
      journal,
      { timeScale: 600 },
    );
    const { executionArn } = await before.start('deployment', 'lost-invocation', { region: 'us-east-1' });
    await until(() => (calls === 1 ? true : undefined), 'the task to run');
    await before.stopAll();

    const after = engineFor(
      {
        deployment: {
          definition,
          functions: {
            Commit: fn(() => {
              calls += 1;
              return { revision: 'r1' };
            }),
          },
        },
      },
      journal,
      { timeScale: 600 },
    );
    await after.resume();
    const ended = await after.waitFor(executionArn);

    expect(ended).toMatchObject({ status: 'SUCCEEDED', output: { revision: 'r1' } });
    expect(calls).toBe(2);
    const history = await after.getExecutionHistory(executionArn);
    expect(
      named(history, 'TaskFailed').map((event) => (event['taskFailedEventDetails'] as { error: string }).error),
    ).toEqual(['Lambda.ServiceException']);
    expect(named(history, 'TaskSucceeded')).toHaveLength(1);
  });

  it('continues at the compensation state, saying why, an execution whose definition is gone', async () => {
    const journal = new MemoryExecutionJournal();
    const failures: unknown[] = [];
    const definition = (version: number) => ({
      Comment: `version ${String(version)}`,
      StartAt: 'Hold',
      States: {
        Hold: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: '${Hold}', Payload: { 'taskToken.$': '$$.Task.Token' } },
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
        'Roll back': {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: '${RollBack}', Payload: { 'failure.$': '$.failure' } },
          ResultPath: null,
          Next: 'Rolled back',
        },
        'Rolled back': { Type: 'Fail', Error: 'DeploymentRolledBack', Cause: 'rolled back' },
      },
    });
    const functions = {
      Hold: fn(() => ({})),
      RollBack: fn((payload) => {
        failures.push((payload as { failure: unknown }).failure);
        return {};
      }),
    };
    const before = engineFor({ deployment: { definition: definition(1), functions } }, journal);
    const { executionArn } = await before.start('deployment', 'lost-definition', { deploymentId: 'd-1' });
    await until(
      async () =>
        named(await before.getExecutionHistory(executionArn), 'TaskSubmitted').length === 1 ? true : undefined,
      'the token wait',
    );
    await before.stopAll();
    journal.forgetDefinition((await journal.get(executionArn))?.definitionHash ?? '');

    const after = new LocalWorkflowEngine(
      { deployment: { definition: definition(2), functions } } as unknown as Record<
        StateMachineName,
        LocalStateMachine
      >,
      1,
      undefined,
      { journal, compensation: { deployment: 'Roll back' } },
    );
    expect(await after.resume()).toMatchObject({ resumed: 0, compensated: 1 });
    const ended = await after.waitFor(executionArn);

    expect(ended).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(failures).toEqual([
      { Error: 'ExecutionNotResumable', Cause: expect.stringContaining('its definition') as unknown },
    ]);
  });

  it('voids the open approval of a workflow that ended, and answers a vote on it 409 with the reason, recording nothing', async () => {
    const bob = portalClient(runtime, await runtime.issuer.sign({ sub: 'bob' }));
    const delivery = await signedDelivery(
      'local-github-secret',
      'release',
      releasePayload({ repository: 'acme/orders-api', tag: 'v9.9.0', author: 'alice' }),
    );
    expect(
      (
        await fetch(`${runtime.url}/webhooks/github`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        })
      ).status,
    ).toBe(202);
    const waiting = await bob.waitFor(
      'orders-api',
      'prod',
      'v9.9.0',
      (deployment) => deployment.approvals[0]?.status === 'PENDING',
    );
    const approvalId = waiting.approvals[0]?.id ?? '';

    await runtime.workflows.stop(
      runtime.workflows.executionArnOf('deployment', waiting.id),
      'States.Aborted',
      'stopped from the console',
    );
    const voided = await until(async () => {
      const approval = await runtime.deps.approvals.get(approvalId);
      return approval?.status === 'VOID' ? approval : undefined;
    }, 'the approval to be void');
    expect(voided.reason).toContain('ended ABORTED');

    const vote = await bob.request('POST', `/v1/approvals/${encodeURIComponent(approvalId)}/votes`, {
      decision: 'APPROVE',
    });
    expect(vote.status).toBe(409);
    expect(vote.headers.get('content-type')).toContain('application/problem+json');
    expect(((await vote.json()) as { detail: string }).detail).toContain('already VOID');
    expect((await runtime.deps.approvals.get(approvalId))?.votes).toEqual([]);
  });
});
