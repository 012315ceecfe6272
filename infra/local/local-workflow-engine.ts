import './polyfills.js';
import { createHash, randomBytes } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';
import { TaskTokenExpiredError } from '../../functions/errors.js';
import type { ExecutionDescription, StateMachineName, WorkflowEngine } from '../../functions/ports/index.js';
import {
  MemoryExecutionJournal,
  type ExecutionJournal,
  type ExecutionRecord,
  type HistoryEvent,
} from './execution-journal.js';

export type { HistoryEvent } from './execution-journal.js';

export type LocalTaskFunction = (payload: unknown, context: Context) => Promise<unknown>;

export interface LocalStateMachine {
  /** The ASL exactly as deployed, `${Substitutions}` included. */
  definition: object;
  /** The function each `${Name}` placeholder stands for. */
  functions: Record<string, LocalTaskFunction>;
  /** The state machine each `${Name}` placeholder of a startExecution task stands for. */
  stateMachines?: Record<string, StateMachineName>;
  /**
   * Called before a startExecution.sync:2 task starts its child (the twin checks the parent's
   * role there, as Step Functions does); a rejection fails the task under the error's name.
   */
  authorizeChild?: (child: StateMachineName, childExecutionArn: string) => Promise<void>;
}

export interface StateVisit {
  name: string;
  enteredAt: string;
}

/** An execution that ended, as the engine tells its owner (to void what it left open). */
export interface EndedExecution extends ExecutionDescription {
  stateMachine: StateMachineName;
  input: unknown;
}

export interface LocalWorkflowEngineOptions {
  /** Where executions are kept; in memory unless given (then nothing survives the process). */
  journal?: ExecutionJournal;
  /** Called once per execution that ends, for any reason. */
  onExecutionEnded?: (execution: EndedExecution) => Promise<void>;
  /**
   * The state a workflow that cannot resume (its definition is gone) continues at on its current
   * definition, with `failure` added to its input: the normal rollback or failure recording.
   */
  compensation?: Partial<Record<StateMachineName, string>>;
  log?: (line: string) => void;
  /** Wall-clock milliseconds; tests move it to show a restart keeps the time that remained. */
  now?: () => number;
  /**
   * The account in execution ARNs (`$$.Execution.Id` included). The twin passes the template's, so
   * what a function reads from its input is what its role's grants name, as on AWS.
   */
  account?: string;
}

/** What resume() did, for the log and the benchmark. */
export interface ResumeReport {
  resumed: number;
  compensated: number;
  failed: number;
  milliseconds: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A task token as persisted: the same token keeps working after a restart. */
interface TokenCheckpoint {
  token: string;
  /** The Lambda that receives the token returned: after a restart it is not invoked again. */
  invoked: boolean;
  /** Wall-clock ms, computed at `scale`. */
  timeoutDueAt?: number;
  heartbeatSeconds?: number;
  heartbeatDueAt?: number;
  /** SendTaskSuccess/Failure arrived: recorded before it returned, so no restart loses it. */
  outcome?: { output: Json } | { error: string; cause: string };
}

/** Where one branch of an execution is: the state it is in, with that state's raw input. */
interface Position {
  state: string;
  input: Json;
  enteredAt: string;
  /** The id of the state's entered event: names what the state starts (child executions). */
  seq: number;
  /** The time scale due times were computed at; a restart at another scale rescales what remains. */
  scale: number;
  token?: TokenCheckpoint;
  child?: string;
  waitDueAt?: number;
  /** Restored from the journal: the first attempt of its Task picks up what was recorded. */
  resumed?: boolean;
  map?: { items: number; results: Record<string, Json>; running: Record<string, Position> };
}

interface Execution {
  record: ExecutionRecord;
  machine: PreparedBranch;
  root: Position | undefined;
  visits: StateVisit[];
  pendingEvents: HistoryEvent[];
  aborts: Set<() => void>;
  writes: Promise<void>;
  /** Settles once this process stops running it: it ended, or the process shuts down. */
  finished: Promise<void>;
  settle: () => void;
}

interface PendingToken {
  execution: Execution;
  position: Position;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  heartbeat?: () => void;
  /** Clears its timers: the execution ended. */
  cancel: () => void;
}

type TaskKind = 'invoke' | 'lambda-invoke' | 'token' | 'child';

interface PreparedTask {
  kind: TaskKind;
  invoke: (payload: unknown) => Promise<unknown>;
  child?: StateMachineName;
  tokenKey?: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** A retrier matches the error Lambda reports for an invocation that was lost. */
  retriesLostInvocation: boolean;
}

interface PreparedState {
  name: string;
  type: string;
  raw: JsonObject;
  /** The state alone, its transitions replaced by Pass states that name them. */
  unit: StateMachine;
  task?: PreparedTask;
  map?: { branch: PreparedBranch; items: StateMachine; selector?: StateMachine; maxConcurrency: number };
  wait?: { seconds?: number; timestamp?: string };
}

interface PreparedBranch {
  startAt: string;
  states: Record<string, PreparedState>;
}

interface UnitResult {
  next: string | undefined;
  output: Json;
}

const DEFAULT_ACCOUNT = '000000000000';
const REGION = 'us-east-1';
/** What Step Functions uses when a Task has no TimeoutSeconds (the library's own default is 60 s). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/** setTimeout fires at once past 2^31 - 1 ms. */
const MAX_TIMER_SECONDS = 2_147_483;
const TOKEN_PLACEHOLDER = '__flightplan_local_task_token__';
/** Carries a TimeoutSecondsPath value into the override (see prepareTask). */
const PATH_TIMEOUT_KEY = '__flightplanTimeoutSeconds';
const TRANSITION_PREFIX = '__flightplan_to_';
const LOST_INVOCATION = 'Lambda.ServiceException';
const MAP_RESULT_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:flightplan-local-map-result';
const HISTORY_PREFIX: Record<string, string> = {
  Task: 'Task',
  Choice: 'Choice',
  Pass: 'Pass',
  Wait: 'Wait',
  Succeed: 'Succeed',
  Fail: 'Fail',
  Map: 'Map',
};

/** A Lambda failure as Step Functions reports it: the error type as name, a JSON cause. */
class LambdaTaskError extends Error {
  constructor(error: unknown) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    super(JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
    this.name = name;
  }
}

class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** The execution was stopped (StopExecution or shutdown) while this branch ran. */
class ExecutionStoppedError extends Error {
  constructor() {
    super('The execution was stopped');
    this.name = 'ExecutionStoppedError';
  }
}

/** The error a branch ended with, as Step Functions reports it. */
function failureOf(error: unknown): { error: string; cause: string } {
  const inner =
    error instanceof Error && error.name === 'ExecutionError' && error.cause instanceof Error ? error.cause : error;
  if (inner instanceof Error)
    return { error: inner.name || 'Error', cause: typeof inner.cause === 'string' ? inner.cause : inner.message };
  return { error: 'Error', cause: String(inner) };
}

const hashOf = (definition: string) => createHash('sha256').update(definition).digest('hex');

/**
 * Step Functions on a laptop: runs the unchanged ASL and adds what aws-local-stepfunctions leaves
 * to its user — task tokens (`.waitForTaskToken`, SendTaskSuccess/Failure/Heartbeat,
 * HeartbeatSeconds), idempotent named executions with describe/stop, AWS's default task timeout,
 * and `FLIGHTPLAN_TIME_SCALE`, which divides every Wait, TimeoutSeconds, HeartbeatSeconds and
 * Retry interval.
 *
 * Executions are durable, as on Step Functions Standard. The engine walks the states itself and
 * has the library run one state at a time (its JSONPath, Parameters, Choice rules, Retry and
 * Catch); before each state it records where the execution is in the journal, with the state's
 * input, its task token and its due times, and appends GetExecutionHistory events. `resume()`
 * continues every RUNNING execution there, on the definition it started with: a waiting token
 * keeps waiting (the same token works), timers keep the time that remained, a Map continues with
 * the iterations that had not finished, and a Task that was running is retried by its Retry
 * policy as a lost Lambda invocation (`Lambda.ServiceException`).
 */
export class LocalWorkflowEngine implements WorkflowEngine {
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, PendingToken>();
  /** Tokens of restored executions whose task has not picked them up yet: an answer is kept for it. */
  private readonly parked = new Map<string, { execution: Execution; position: Position }>();
  private readonly specs: Record<StateMachineName, LocalStateMachine>;
  private readonly current: Record<StateMachineName, { hash: string; definition: string }>;
  private readonly prepared = new Map<string, PreparedBranch>();
  private readonly storedDefinitions = new Set<string>();
  private readonly journal: ExecutionJournal;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly account: string;
  private stopping = false;

  constructor(
    definitions: Record<StateMachineName, LocalStateMachine>,
    private readonly timeScale: number,
    private readonly onStateEntered?: (execution: string, state: string) => void,
    private readonly options: LocalWorkflowEngineOptions = {},
  ) {
    this.specs = definitions;
    this.journal = options.journal ?? new MemoryExecutionJournal();
    this.log = options.log ?? (() => undefined);
    this.now = options.now ?? Date.now;
    this.account = options.account ?? DEFAULT_ACCOUNT;
    this.current = Object.fromEntries(
      Object.entries(definitions).map(([name, spec]) => {
        const definition = JSON.stringify(spec.definition);
        const hash = hashOf(definition);
        // Fails fast on a definition the engine cannot run, as the constructor always did.
        this.prepared.set(hash, this.prepareBranch(name, structuredClone(spec.definition) as JsonObject, spec));
        return [name, { hash, definition }];
      }),
    ) as typeof this.current;
  }

  async start(
    stateMachine: StateMachineName,
    name: string,
    input: Record<string, unknown>,
    parentArn?: string,
  ): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = `arn:aws:states:${REGION}:${this.account}:execution:flightplan-${stateMachine}:${name}`;
    if (this.executions.has(executionArn)) return { executionArn, alreadyStarted: true };
    const { hash, definition } = this.current[stateMachine];
    if (!this.storedDefinitions.has(hash)) {
      await this.journal.putDefinition(hash, stateMachine, definition);
      this.storedDefinitions.add(hash);
    }
    const startDate = new Date(this.now()).toISOString();
    const record: ExecutionRecord = {
      executionArn,
      name,
      stateMachine,
      definitionHash: hash,
      input: JSON.stringify(input),
      status: 'RUNNING',
      startDate,
      nextEventId: 1,
      ...(parentArn ? { parentArn } : {}),
    };
    const machine = this.branchFor(hash);
    const execution = this.newExecution(record, machine);
    this.event(execution, 'ExecutionStarted', {
      executionStartedEventDetails: {
        input: record.input,
        roleArn: `arn:aws:iam::${this.account}:role/flightplan-${stateMachine}`,
      },
    });
    execution.root = this.enter(execution, machine, machine.startAt, input as Json);
    record.position = JSON.stringify(execution.root);
    // Claimed in memory first: a concurrent duplicate start sees it before the write lands.
    this.executions.set(executionArn, execution);
    const created = await this.journal.create({ ...record }, execution.pendingEvents.splice(0));
    if (!created) {
      this.executions.delete(executionArn);
      execution.settle();
      return { executionArn, alreadyStarted: true };
    }
    this.run(execution);
    return { executionArn, alreadyStarted: false };
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    return this.complete(taskToken, { output: (output ?? null) as Json });
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    return this.complete(taskToken, { error, cause });
  }

  sendTaskHeartbeat(taskToken: string): Promise<void> {
    const pending = this.tokens.get(taskToken);
    if (!pending && this.parked.has(taskToken)) return Promise.resolve();
    if (!pending)
      throw new TaskTokenExpiredError('The task token is not waiting (it finished, timed out or never existed)');
    pending.heartbeat?.();
    return Promise.resolve();
  }

  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    const execution = this.executions.get(executionArn);
    if (execution?.record.status !== 'RUNNING') return;
    await this.end(execution, { status: 'ABORTED', error, cause }, 'ExecutionAborted', {
      executionAbortedEventDetails: { error, cause },
    });
  }

  async describe(executionArn: string): Promise<ExecutionDescription | undefined> {
    const execution = this.executions.get(executionArn);
    const record = execution?.record ?? (await this.journal.get(executionArn));
    return record ? this.descriptionOf(record) : undefined;
  }

  /** The executions this process ran or resumed, in memory: what path tests and the cost benchmark read. */
  list(): (ExecutionDescription & { stateMachine: StateMachineName })[] {
    return [...this.executions.values()].map((execution) => ({
      ...this.descriptionOf(execution.record),
      stateMachine: execution.record.stateMachine,
    }));
  }

  /** ListExecutions, from the journal: every execution ever started, newest first. */
  async listExecutions(
    filter: { stateMachine?: StateMachineName; status?: ExecutionDescription['status'] } = {},
  ): Promise<(ExecutionDescription & { stateMachine: StateMachineName })[]> {
    const records = await this.journal.list(filter);
    return records.map((record) => ({
      ...this.descriptionOf(this.executions.get(record.executionArn)?.record ?? record),
      stateMachine: record.stateMachine,
    }));
  }

  /** GetExecutionHistory, from the journal. */
  async getExecutionHistory(executionArn: string): Promise<HistoryEvent[]> {
    const execution = this.executions.get(executionArn);
    if (execution) await execution.writes;
    return this.journal.history(executionArn);
  }

  async executionHistory(
    stateMachine: StateMachineName,
    name: string,
  ): Promise<{ execution: ExecutionDescription; events: HistoryEvent[] } | undefined> {
    const executionArn = this.executionArnOf(stateMachine, name);
    const execution = await this.describe(executionArn);
    return execution ? { execution, events: await this.getExecutionHistory(executionArn) } : undefined;
  }

  /** The ARN an execution of `stateMachine` named `name` has. */
  executionArnOf(stateMachine: StateMachineName, name: string): string {
    return `arn:aws:states:${REGION}:${this.account}:execution:flightplan-${stateMachine}:${name}`;
  }

  /** The states an execution entered in this process, in order. */
  statesVisited(executionArn: string): StateVisit[] {
    return [...(this.executions.get(executionArn)?.visits ?? [])];
  }

  async waitFor(executionArn: string): Promise<ExecutionDescription> {
    const execution = this.executions.get(executionArn);
    if (execution) await execution.finished;
    const description = await this.describe(executionArn);
    if (!description) throw new Error(`No execution ${executionArn}`);
    return description;
  }

  /**
   * Continues every execution the journal holds as RUNNING, where it was. One whose definition is
   * gone continues at its workflow's compensation state on the current definition, saying why.
   */
  async resume(): Promise<ResumeReport> {
    const started = this.now();
    const report: ResumeReport = { resumed: 0, compensated: 0, failed: 0, milliseconds: 0 };
    const running = await this.journal.list({ status: 'RUNNING' });
    const resumable: Execution[] = [];
    for (const record of running) {
      if (this.executions.has(record.executionArn)) continue;
      const outcome = await this.restore(record);
      if (outcome === 'failed') report.failed += 1;
      else {
        if (outcome.compensated) report.compensated += 1;
        else report.resumed += 1;
        resumable.push(outcome.execution);
      }
    }
    // Every execution is back in memory before any runs: a parent finds its child, a token its owner.
    for (const execution of resumable) this.run(execution);
    report.milliseconds = this.now() - started;
    return report;
  }

  /** Stops this process's work without ending any execution: they resume on the next start. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const running = [...this.executions.values()].filter((execution) => execution.record.status === 'RUNNING');
    for (const execution of running) for (const abort of execution.aborts) abort();
    for (const [token, pending] of this.tokens) {
      this.tokens.delete(token);
      pending.reject(new ExecutionStoppedError());
    }
    await Promise.allSettled(running.map((execution) => execution.finished));
    await Promise.allSettled(running.map((execution) => execution.writes));
  }

  // ---- running ----

  /** Still running in this process: neither ended nor shut down. */
  private live(execution: Execution): boolean {
    return execution.record.status === 'RUNNING' && !this.stopping;
  }

  private newExecution(record: ExecutionRecord, machine: PreparedBranch): Execution {
    let settle: () => void = () => undefined;
    // Pending from the start: whoever waits for an execution claimed but not yet running waits for its end.
    const finished = new Promise<void>((resolve) => {
      settle = resolve;
    });
    return {
      record,
      machine,
      root: undefined,
      visits: [],
      pendingEvents: [],
      aborts: new Set(),
      writes: Promise.resolve(),
      finished,
      settle,
    };
  }

  private run(execution: Execution): void {
    void (async () => {
      try {
        const root = execution.root;
        if (!root) return;
        const output = await this.runBranch(execution, execution.machine, root, (next) => {
          execution.root = next;
        });
        await this.end(execution, { status: 'SUCCEEDED', output: JSON.stringify(output) }, 'ExecutionSucceeded', {
          executionSucceededEventDetails: { output: JSON.stringify(output) },
        });
      } catch (error) {
        if (execution.record.status !== 'RUNNING' || this.stopping) return;
        const failure = failureOf(error);
        const timedOut = failure.error === 'States.Timeout';
        await this.end(
          execution,
          { status: timedOut ? 'TIMED_OUT' : 'FAILED', ...failure },
          timedOut ? 'ExecutionTimedOut' : 'ExecutionFailed',
          {
            [timedOut ? 'executionTimedOutEventDetails' : 'executionFailedEventDetails']: failure,
          },
        );
      } finally {
        execution.settle();
      }
    })();
  }

  private async end(
    execution: Execution,
    outcome: Partial<ExecutionRecord> & { status: ExecutionRecord['status'] },
    type: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    if (execution.record.status !== 'RUNNING' || this.stopping) return;
    Object.assign(execution.record, outcome, { stopDate: new Date(this.now()).toISOString() });
    execution.root = undefined;
    this.event(execution, type, details);
    for (const abort of execution.aborts) abort();
    this.releaseTokens(execution);
    await this.checkpoint(execution);
    execution.settle();
    // A child started with .sync does not outlive its parent.
    for (const child of this.executions.values()) {
      if (child.record.parentArn === execution.record.executionArn && child.record.status === 'RUNNING') {
        await this.stop(
          child.record.executionArn,
          'States.Aborted',
          `Its parent execution ${execution.record.name} ended ${execution.record.status}`,
        );
      }
    }
    try {
      await this.options.onExecutionEnded?.({
        ...this.descriptionOf(execution.record),
        stateMachine: execution.record.stateMachine,
        input: JSON.parse(execution.record.input) as unknown,
      });
    } catch (error) {
      this.log(`sfn: after ${execution.record.name} ended: ${(error as Error).message}`);
    }
  }

  /** Runs a branch (the workflow, or one Map iteration) from `position` to its end; returns its output. */
  private async runBranch(
    execution: Execution,
    branch: PreparedBranch,
    start: Position,
    moveTo: (position: Position) => void,
  ): Promise<Json> {
    let position = start;
    for (;;) {
      if (!this.live(execution)) throw new ExecutionStoppedError();
      const state = branch.states[position.state];
      if (!state) throw new TaskFailure('States.Runtime', `No state "${position.state}"`);
      const result = await this.runState(execution, state, position);
      if (!this.live(execution)) throw new ExecutionStoppedError();
      const prefix = HISTORY_PREFIX[state.type] ?? state.type;
      this.event(execution, `${prefix}StateExited`, {
        stateExitedEventDetails: { name: state.name, output: JSON.stringify(result.output) },
      });
      if (result.next === undefined) {
        await this.checkpoint(execution);
        return result.output;
      }
      position = this.enter(execution, branch, result.next, result.output);
      moveTo(position);
      await this.checkpoint(execution);
    }
  }

  private enter(execution: Execution, branch: PreparedBranch, stateName: string, input: Json): Position {
    const state = branch.states[stateName];
    const prefix = HISTORY_PREFIX[state?.type ?? ''] ?? 'State';
    const seq = this.event(execution, `${prefix}StateEntered`, {
      stateEnteredEventDetails: { name: stateName, input: JSON.stringify(input) },
    });
    const enteredAt = new Date(this.now()).toISOString();
    execution.visits.push({ name: stateName, enteredAt });
    this.onStateEntered?.(execution.record.name, stateName);
    return { state: stateName, input, enteredAt, seq, scale: this.timeScale };
  }

  private async runState(execution: Execution, state: PreparedState, position: Position): Promise<UnitResult> {
    if (state.map) return this.runMap(execution, state, position);
    if (state.wait) await this.sleepUntil(execution, this.waitDueAt(execution, state, position), position.scale);
    const overrides: Record<string, unknown> = {};
    if (state.task)
      overrides['taskResourceLocalHandlers'] = { [state.name]: this.taskHandler(execution, state, position) };
    if (state.wait) overrides['waitTimeOverrides'] = { [state.name]: 0 };
    const output = await this.runUnit(execution, state.unit, position.input, overrides);
    if (state.type === 'Succeed') return { next: undefined, output };
    return this.transitionOf(output);
  }

  private async runUnit(
    execution: Execution,
    unit: StateMachine,
    input: Json,
    overrides: Record<string, unknown>,
    context: Record<string, unknown> = {},
  ): Promise<Json> {
    const run = unit.run(input, {
      overrides,
      context: {
        Execution: {
          Id: execution.record.executionArn,
          Name: execution.record.name,
          StartTime: execution.record.startDate,
        },
        ...context,
      },
    });
    execution.aborts.add(run.abort);
    try {
      return await run.result;
    } finally {
      execution.aborts.delete(run.abort);
    }
  }

  private transitionOf(output: Json): UnitResult {
    if (!isObject(output) || typeof output['to'] !== 'string')
      throw new TaskFailure('States.Runtime', 'The local engine lost track of a transition');
    return { next: output['to'] === '' ? undefined : output['to'], output: output['output'] ?? null };
  }

  private async runMap(execution: Execution, state: PreparedState, position: Position): Promise<UnitResult> {
    const map = state.map;
    if (!map) throw new TaskFailure('States.Runtime', `${state.name} is not a Map`);
    const itemsOutput = this.transitionOf(await this.runUnit(execution, map.items, position.input, {})).output;
    const items = isObject(itemsOutput) && Array.isArray(itemsOutput['items']) ? itemsOutput['items'] : undefined;
    let outcome: { results: Json[] } | { failure: { error: string; cause: string } };
    if (!items) {
      outcome = {
        failure: {
          error: 'States.Runtime',
          cause: 'Input of Map state must be an array or ItemsPath property must point to an array',
        },
      };
    } else {
      const resuming = position.map !== undefined;
      position.map ??= { items: items.length, results: {}, running: {} };
      if (!resuming) {
        this.event(execution, 'MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
        await this.checkpoint(execution);
      }
      outcome = await this.runIterations(execution, state, position, items);
    }
    const handler = () =>
      'failure' in outcome
        ? Promise.reject(new TaskFailure(outcome.failure.error, outcome.failure.cause))
        : Promise.resolve(outcome.results);
    this.event(execution, 'failure' in outcome ? 'MapStateFailed' : 'MapStateSucceeded', {});
    const output = await this.runUnit(execution, state.unit, position.input, {
      taskResourceLocalHandlers: { [state.name]: handler },
    });
    return this.transitionOf(output);
  }

  private async runIterations(
    execution: Execution,
    state: PreparedState,
    position: Position,
    items: Json[],
  ): Promise<{ results: Json[] } | { failure: { error: string; cause: string } }> {
    const map = state.map;
    const progress = position.map;
    if (!map || !progress) throw new TaskFailure('States.Runtime', `${state.name} is not a Map`);
    const pending = items.map((_item, index) => index).filter((index) => !(String(index) in progress.results));
    let failure: { error: string; cause: string } | undefined;
    const runOne = async (index: number): Promise<void> => {
      let iteration = progress.running[String(index)];
      if (!iteration) {
        const item = items[index] ?? null;
        const input = map.selector
          ? this.transitionOf(
              await this.runUnit(
                execution,
                map.selector,
                position.input,
                {},
                { Map: { Item: { Index: index, Value: item } } },
              ),
            ).output
          : item;
        this.event(execution, 'MapIterationStarted', { mapIterationStartedEventDetails: { name: state.name, index } });
        iteration = this.enter(execution, map.branch, map.branch.startAt, input);
        progress.running[String(index)] = iteration;
        await this.checkpoint(execution);
      }
      try {
        const output = await this.runBranch(execution, map.branch, iteration, (next) => {
          progress.running[String(index)] = next;
        });
        const { [String(index)]: _finished, ...stillRunning } = progress.running;
        progress.running = stillRunning;
        progress.results[String(index)] = output;
        this.event(execution, 'MapIterationSucceeded', {
          mapIterationSucceededEventDetails: { name: state.name, index },
        });
        await this.checkpoint(execution);
      } catch (error) {
        if (error instanceof ExecutionStoppedError || !this.live(execution)) throw new ExecutionStoppedError();
        failure ??= failureOf(error);
        this.event(execution, 'MapIterationFailed', { mapIterationFailedEventDetails: { name: state.name, index } });
      }
    };
    const workers = Math.max(1, Math.min(map.maxConcurrency || pending.length, pending.length));
    let next = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < pending.length && !failure) {
          const index = pending[next] ?? 0;
          next += 1;
          await runOne(index);
        }
      }),
    );
    if (failure) return { failure };
    return { results: items.map((_item, index) => progress.results[String(index)] ?? null) };
  }

  // ---- tasks ----

  private taskHandler(
    execution: Execution,
    state: PreparedState,
    position: Position,
  ): (input: unknown) => Promise<unknown> {
    const task = state.task;
    if (!task) throw new TaskFailure('States.Runtime', `${state.name} is not a Task`);
    // Only the first attempt after a restart picks up what the position recorded.
    let resumed = position.resumed === true;
    delete position.resumed;
    let attempt = 0;
    return async (input) => {
      const first = attempt === 0;
      attempt += 1;
      const resuming = first && resumed;
      resumed = false;
      if (task.kind === 'token') return this.waitForToken(execution, state, position, task, input, resuming);
      if (task.kind === 'child') return this.runChild(execution, state, position, task, input, resuming, attempt);
      if (resuming && task.retriesLostInvocation) {
        this.event(execution, 'TaskFailed', {
          taskFailedEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke',
            error: LOST_INVOCATION,
            cause: 'The local runtime stopped while this task ran',
          },
        });
        throw new LambdaTaskError(
          Object.assign(new Error('The local runtime stopped while this task ran'), { name: LOST_INVOCATION }),
        );
      }
      const payload = task.kind === 'lambda-invoke' && isObject(input) ? input['Payload'] : input;
      const result = await this.invokeRecorded(execution, task, payload);
      return task.kind === 'lambda-invoke' ? { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: result } : result;
    };
  }

  private async invokeRecorded(execution: Execution, task: PreparedTask, payload: unknown): Promise<unknown> {
    this.event(execution, 'TaskScheduled', {
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        parameters: JSON.stringify(payload ?? null),
      },
    });
    this.event(execution, 'TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } });
    try {
      const result = await task.invoke(payload);
      this.event(execution, 'TaskSucceeded', {
        taskSucceededEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          output: JSON.stringify(result ?? null),
        },
      });
      return result;
    } catch (error) {
      const failure = failureOf(error);
      this.event(execution, 'TaskFailed', {
        taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', ...failure },
      });
      throw error;
    }
  }

  /** `.waitForTaskToken`: the token, its timeout and heartbeat are checkpointed before the Lambda sees the token. */
  private async waitForToken(
    execution: Execution,
    state: PreparedState,
    position: Position,
    task: PreparedTask,
    input: unknown,
    resuming: boolean,
  ): Promise<unknown> {
    const pathSeconds = isObject(input) ? input[PATH_TIMEOUT_KEY] : undefined;
    const effective = isObject(input)
      ? Object.fromEntries(Object.entries(input).filter(([key]) => key !== PATH_TIMEOUT_KEY))
      : input;
    let checkpoint = resuming ? position.token : undefined;
    if (!checkpoint) {
      const now = this.now();
      const timeoutSeconds = typeof pathSeconds === 'number' ? pathSeconds : task.timeoutSeconds;
      checkpoint = {
        token: randomBytes(24).toString('base64url'),
        invoked: false,
        ...(timeoutSeconds === undefined
          ? {}
          : {
              timeoutDueAt:
                now + (Math.min(timeoutSeconds, MAX_TIMER_SECONDS * this.timeScale) * 1000) / this.timeScale,
            }),
        ...(task.heartbeatSeconds === undefined
          ? {}
          : {
              heartbeatSeconds: task.heartbeatSeconds,
              heartbeatDueAt: now + (task.heartbeatSeconds * 1000) / this.timeScale,
            }),
      };
      position.token = checkpoint;
      position.scale = this.timeScale;
      await this.checkpoint(execution);
    }
    const token = checkpoint;
    this.parked.delete(token.token);
    if (token.outcome) {
      delete position.token;
      if ('output' in token.outcome) return token.outcome.output;
      throw new TaskFailure(token.outcome.error, token.outcome.cause);
    }
    const payload = JSON.parse(
      JSON.stringify(isObject(effective) ? effective['Payload'] : effective).replaceAll(TOKEN_PLACEHOLDER, token.token),
    ) as unknown;
    return new Promise((resolve, reject) => {
      let timeoutTimer: NodeJS.Timeout | undefined;
      let heartbeatTimer: NodeJS.Timeout | undefined;
      const clear = () => {
        clearTimeout(timeoutTimer);
        clearTimeout(heartbeatTimer);
      };
      const fail = (error: Error) => {
        this.tokens.delete(token.token);
        clear();
        reject(error);
      };
      const armHeartbeat = (dueAt: number, scale: number) => {
        clearTimeout(heartbeatTimer);
        heartbeatTimer = setTimeout(
          () => {
            this.event(execution, 'TaskTimedOut', {
              taskTimedOutEventDetails: {
                resourceType: 'lambda',
                resource: 'invoke.waitForTaskToken',
                error: 'States.HeartbeatTimeout',
              },
            });
            fail(new TaskFailure('States.HeartbeatTimeout', 'No heartbeat within HeartbeatSeconds'));
          },
          this.remainingMs(dueAt, scale),
        );
      };
      this.tokens.set(token.token, {
        execution,
        position,
        resolve: (output) => {
          clear();
          delete position.token;
          this.event(execution, 'TaskSucceeded', {
            taskSucceededEventDetails: {
              resourceType: 'lambda',
              resource: 'invoke.waitForTaskToken',
              output: JSON.stringify(output ?? null),
            },
          });
          resolve(output);
        },
        reject: (error) => {
          clear();
          if (!(error instanceof ExecutionStoppedError)) {
            delete position.token;
            this.event(execution, 'TaskFailed', {
              taskFailedEventDetails: {
                resourceType: 'lambda',
                resource: 'invoke.waitForTaskToken',
                error: error.name,
                cause: error.message,
              },
            });
          }
          reject(error);
        },
        cancel: clear,
        ...(token.heartbeatSeconds === undefined
          ? {}
          : {
              heartbeat: () => {
                token.heartbeatDueAt = this.now() + ((token.heartbeatSeconds ?? 0) * 1000) / this.timeScale;
                position.scale = this.timeScale;
                armHeartbeat(token.heartbeatDueAt, this.timeScale);
                void this.checkpoint(execution);
              },
            }),
      });
      if (token.timeoutDueAt !== undefined) {
        timeoutTimer = setTimeout(
          () => {
            this.event(execution, 'TaskTimedOut', {
              taskTimedOutEventDetails: {
                resourceType: 'lambda',
                resource: 'invoke.waitForTaskToken',
                error: 'States.Timeout',
              },
            });
            fail(new TaskFailure('States.Timeout', 'The task token was not answered within the timeout'));
          },
          this.remainingMs(token.timeoutDueAt, position.scale),
        );
      }
      if (token.heartbeatDueAt !== undefined) armHeartbeat(token.heartbeatDueAt, position.scale);
      if (token.invoked) return;
      this.invokeRecorded(execution, task, payload).then(
        () => {
          token.invoked = true;
          this.event(execution, 'TaskSubmitted', {
            taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' },
          });
          void this.checkpoint(execution);
        },
        (error: unknown) => {
          fail(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** SendTaskSuccess/Failure: recorded in the journal before it returns, then the execution moves on. */
  private async complete(taskToken: string, outcome: NonNullable<TokenCheckpoint['outcome']>): Promise<void> {
    const pending = this.tokens.get(taskToken);
    const parked = this.parked.get(taskToken);
    if (!pending && parked?.position.token) {
      this.parked.delete(taskToken);
      parked.position.token.outcome = outcome;
      await this.checkpoint(parked.execution);
      return;
    }
    if (!pending)
      throw new TaskTokenExpiredError('The task token is not waiting (it finished, timed out or never existed)');
    this.tokens.delete(taskToken);
    if (pending.position.token?.token === taskToken) pending.position.token.outcome = outcome;
    await this.checkpoint(pending.execution);
    if ('output' in outcome) pending.resolve(outcome.output);
    else pending.reject(new TaskFailure(outcome.error, outcome.cause));
  }

  /** `startExecution.sync:2`: run the child to its end; its output comes back as JSON under `Output`. */
  private async runChild(
    execution: Execution,
    state: PreparedState,
    position: Position,
    task: PreparedTask,
    input: unknown,
    resuming: boolean,
    attempt: number,
  ): Promise<unknown> {
    const child = task.child;
    if (!child) throw new TaskFailure('States.Runtime', `${state.name} starts no state machine`);
    const childInput = isObject(input) && isObject(input['Input']) ? input['Input'] : {};
    let name = resuming ? position.child : undefined;
    if (!name) {
      const suffix = createHash('sha256')
        .update(`${execution.record.executionArn}#${String(position.seq)}#${String(attempt)}`)
        .digest('hex')
        .slice(0, 8);
      name = `${execution.record.name}-${suffix}`.slice(-80);
      position.child = name;
      await this.checkpoint(execution);
    }
    this.event(execution, 'TaskScheduled', {
      taskScheduledEventDetails: {
        resourceType: 'states',
        resource: 'startExecution.sync:2',
        parameters: JSON.stringify(childInput),
      },
    });
    const authorizeChild = this.specs[execution.record.stateMachine].authorizeChild;
    if (authorizeChild) {
      try {
        await authorizeChild(child, this.executionArnOf(child, name));
      } catch (error) {
        throw new TaskFailure((error as Error).name, (error as Error).message);
      }
    }
    const { executionArn } = await this.start(child, name, childInput, execution.record.executionArn);
    this.event(execution, 'TaskSubmitted', {
      taskSubmittedEventDetails: {
        resourceType: 'states',
        resource: 'startExecution.sync:2',
        output: JSON.stringify({ ExecutionArn: executionArn }),
      },
    });
    const result = await this.waitFor(executionArn);
    if (result.status !== 'SUCCEEDED') {
      throw new TaskFailure(
        'States.TaskFailed',
        JSON.stringify({ ExecutionArn: executionArn, Status: result.status, Error: result.error, Cause: result.cause }),
      );
    }
    const output = {
      ExecutionArn: executionArn,
      Output: result.output ?? null,
      Status: 'SUCCEEDED',
      StartDate: result.startDate,
      StopDate: result.stopDate,
    };
    this.event(execution, 'TaskSucceeded', {
      taskSucceededEventDetails: {
        resourceType: 'states',
        resource: 'startExecution.sync:2',
        output: JSON.stringify(output),
      },
    });
    return output;
  }

  // ---- timers ----

  /** Real milliseconds left of a due time computed at `scale`, at today's scale. */
  private remainingMs(dueAt: number, scale: number): number {
    return Math.min(MAX_TIMER_SECONDS * 1000, Math.max(0, ((dueAt - this.now()) * scale) / this.timeScale));
  }

  private waitDueAt(execution: Execution, state: PreparedState, position: Position): number {
    if (position.waitDueAt !== undefined) return position.waitDueAt;
    const entered = Date.parse(position.enteredAt);
    const seconds =
      state.wait?.timestamp === undefined
        ? (state.wait?.seconds ?? 0)
        : (Date.parse(state.wait.timestamp) - entered) / 1000;
    position.waitDueAt = entered + (Math.max(0, seconds) * 1000) / this.timeScale;
    position.scale = this.timeScale;
    void this.checkpoint(execution);
    return position.waitDueAt;
  }

  private async sleepUntil(execution: Execution, dueAt: number, scale: number): Promise<void> {
    const ms = this.remainingMs(dueAt, scale);
    if (ms <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        execution.aborts.delete(abort);
        resolve();
      }, ms);
      const abort = () => {
        clearTimeout(timer);
        reject(new ExecutionStoppedError());
      };
      execution.aborts.add(abort);
    });
  }

  // ---- journal ----

  private event(execution: Execution, type: string, details: Record<string, unknown>): number {
    const id = execution.record.nextEventId;
    execution.record.nextEventId += 1;
    execution.pendingEvents.push({
      id,
      previousEventId: id - 1,
      timestamp: new Date(this.now()).toISOString(),
      type,
      ...details,
    });
    return id;
  }

  /** Writes where the execution is and the events since the last write; writes of one execution are serial. */
  private checkpoint(execution: Execution): Promise<void> {
    // After shutdown began, what is recorded stays as it was: the next start resumes from there.
    if (this.stopping) return execution.writes;
    const record: ExecutionRecord = { ...execution.record };
    if (execution.root) record.position = JSON.stringify(execution.root);
    else delete record.position;
    const events = execution.pendingEvents.splice(0);
    execution.writes = execution.writes
      .then(() => this.journal.save(record, events))
      .catch((error: unknown) => {
        this.log(`sfn: could not record ${execution.record.name}: ${(error as Error).message}`);
      });
    return execution.writes;
  }

  private descriptionOf(record: ExecutionRecord): ExecutionDescription {
    return {
      executionArn: record.executionArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      ...(record.stopDate ? { stopDate: record.stopDate } : {}),
      ...(record.output === undefined ? {} : { output: JSON.parse(record.output) as unknown }),
      ...(record.error === undefined ? {} : { error: record.error }),
      ...(record.cause === undefined ? {} : { cause: record.cause }),
    };
  }

  private releaseTokens(execution: Execution): void {
    for (const [token, parked] of this.parked) if (parked.execution === execution) this.parked.delete(token);
    for (const [token, pending] of this.tokens) {
      if (pending.execution !== execution) continue;
      this.tokens.delete(token);
      pending.cancel();
    }
  }

  private async restore(record: ExecutionRecord): Promise<'failed' | { execution: Execution; compensated: boolean }> {
    // The file as it is now is the definition when the hash matches; otherwise the stored copy.
    const stored = this.prepared.has(record.definitionHash)
      ? ''
      : await this.journal.getDefinition(record.definitionHash);
    let machine: PreparedBranch | undefined;
    let why = '';
    if (stored === undefined) why = `its definition (${record.definitionHash.slice(0, 12)}) is gone`;
    else {
      try {
        machine = this.branchFor(record.definitionHash, record.stateMachine, stored);
      } catch (error) {
        why = `its definition can no longer run here: ${(error as Error).message}`;
      }
    }
    const position = record.position ? (JSON.parse(record.position) as Position) : undefined;
    if (machine && position) {
      const execution = this.newExecution(record, machine);
      execution.root = markResumed(position);
      this.executions.set(record.executionArn, execution);
      const park = (at: Position) => {
        if (at.token && !at.token.outcome) this.parked.set(at.token.token, { execution, position: at });
        for (const iteration of Object.values(at.map?.running ?? {})) park(iteration);
      };
      park(execution.root);
      return { execution, compensated: false };
    }
    if (!why) why = 'it has no recorded position';
    const cause = `The local runtime could not resume this execution: ${why}`;
    const compensation = this.options.compensation?.[record.stateMachine];
    const current = this.current[record.stateMachine] as { hash: string } | undefined;
    const execution = this.newExecution(
      record,
      machine ?? (current ? this.branchFor(current.hash) : { startAt: '', states: {} }),
    );
    this.executions.set(record.executionArn, execution);
    if (!compensation || !current) {
      await this.end(execution, { status: 'FAILED', error: 'States.Runtime', cause }, 'ExecutionFailed', {
        executionFailedEventDetails: { error: 'States.Runtime', cause },
      });
      return 'failed';
    }
    this.log(`sfn: ${record.name} cannot resume (${why}); continuing at "${compensation}"`);
    record.definitionHash = current.hash;
    execution.machine = this.branchFor(current.hash);
    const input = JSON.parse(record.input) as Json;
    execution.root = this.enter(execution, execution.machine, compensation, {
      ...(isObject(input) ? input : {}),
      failure: { Error: 'ExecutionNotResumable', Cause: cause },
    });
    await this.checkpoint(execution);
    return { execution, compensated: true };
  }

  // ---- preparing definitions ----

  private branchFor(hash: string, stateMachine?: StateMachineName, definition?: string): PreparedBranch {
    const cached = this.prepared.get(hash);
    if (cached) return cached;
    if (!stateMachine || !definition) throw new Error(`No definition ${hash}`);
    const spec = this.specs[stateMachine] as LocalStateMachine | undefined;
    if (!spec) throw new Error(`the state machine ${stateMachine} no longer exists`);
    const branch = this.prepareBranch(stateMachine, JSON.parse(definition) as JsonObject, spec);
    this.prepared.set(hash, branch);
    return branch;
  }

  private prepareBranch(
    machineName: string,
    container: JsonObject,
    spec: LocalStateMachine,
    names = new Set<string>(),
  ): PreparedBranch {
    const states = isObject(container['States']) ? container['States'] : {};
    const startAt = typeof container['StartAt'] === 'string' ? container['StartAt'] : '';
    const prepared: Record<string, PreparedState> = {};
    for (const [name, value] of Object.entries(states)) {
      if (!isObject(value)) continue;
      if (names.has(name)) throw new Error(`${machineName}: state names must be unique, "${name}" repeats`);
      names.add(name);
      prepared[name] = this.prepareState(machineName, name, structuredClone(value), spec, names);
    }
    return { startAt, states: prepared };
  }

  private prepareState(
    machineName: string,
    name: string,
    state: JsonObject,
    spec: LocalStateMachine,
    names: Set<string>,
  ): PreparedState {
    const type = typeof state['Type'] === 'string' ? state['Type'] : '';
    if (type === 'Parallel')
      throw new Error(`${machineName}: "${name}" is a Parallel state, which the local engine does not run`);
    this.scaleRetries(state);
    const result: Omit<PreparedState, 'unit'> & { unit?: StateMachine } = { name, type, raw: state };
    if (type === 'Task') {
      result.task = this.prepareTask(machineName, name, state, spec);
      // Token tasks keep their own (checkpointed) timeout; others use the library's, scaled.
      const seconds =
        result.task.kind === 'token'
          ? MAX_TIMER_SECONDS
          : Math.min(
              MAX_TIMER_SECONDS,
              (typeof state['TimeoutSeconds'] === 'number'
                ? state['TimeoutSeconds']
                : AWS_DEFAULT_TASK_TIMEOUT_SECONDS) / this.timeScale,
            );
      state['TimeoutSeconds'] = seconds;
      delete state['HeartbeatSeconds'];
    }
    if (type === 'Wait') {
      result.wait = {
        ...(typeof state['Seconds'] === 'number' ? { seconds: state['Seconds'] } : {}),
        ...(typeof state['Timestamp'] === 'string' ? { timestamp: state['Timestamp'] } : {}),
      };
      if (state['SecondsPath'] !== undefined || state['TimestampPath'] !== undefined)
        throw new Error(`${machineName}: "${name}" waits by a path, which the local engine does not run`);
    }
    if (type === 'Map') {
      if (Array.isArray(state['Retry']))
        throw new Error(`${machineName}: "${name}" retries a Map, which the local engine does not run`);
      const processor = isObject(state['ItemProcessor'])
        ? state['ItemProcessor']
        : isObject(state['Iterator'])
          ? state['Iterator']
          : {};
      const inputPath: JsonObject = state['InputPath'] === undefined ? {} : { InputPath: state['InputPath'] };
      const selector = isObject(state['ItemSelector'])
        ? state['ItemSelector']
        : isObject(state['Parameters'])
          ? state['Parameters']
          : undefined;
      result.map = {
        branch: this.prepareBranch(machineName, processor, spec, names),
        items: unitOf('items', {
          Type: 'Pass',
          ...inputPath,
          Parameters: { 'items.$': typeof state['ItemsPath'] === 'string' ? state['ItemsPath'] : '$' },
          End: true,
        }),
        ...(selector ? { selector: unitOf('selector', { Type: 'Pass', ...inputPath, End: true }, selector) } : {}),
        maxConcurrency: typeof state['MaxConcurrency'] === 'number' ? state['MaxConcurrency'] : 0,
      };
      // The Map's own input and output processing, Catch and transitions, run as a Task whose result is the iterations' results.
      const {
        ItemProcessor: _processor,
        Iterator: _iterator,
        ItemSelector: _selector,
        Parameters: _parameters,
        ItemsPath: _itemsPath,
        MaxConcurrency: _max,
        ...rest
      } = state;
      return {
        ...result,
        unit: unitOf(name, { ...rest, Type: 'Task', Resource: MAP_RESULT_RESOURCE, TimeoutSeconds: MAX_TIMER_SECONDS }),
      };
    }
    return { ...result, unit: unitOf(name, state) };
  }

  private scaleRetries(state: JsonObject): void {
    const retriers = state['Retry'];
    if (!Array.isArray(retriers)) return;
    for (const retrier of retriers) {
      if (!isObject(retrier)) continue;
      retrier['IntervalSeconds'] =
        (typeof retrier['IntervalSeconds'] === 'number' ? retrier['IntervalSeconds'] : 1) / this.timeScale;
      if (typeof retrier['MaxDelaySeconds'] === 'number')
        retrier['MaxDelaySeconds'] = retrier['MaxDelaySeconds'] / this.timeScale;
    }
  }

  private prepareTask(
    machineName: string,
    stateName: string,
    state: JsonObject,
    spec: LocalStateMachine,
  ): PreparedTask {
    const resource = typeof state['Resource'] === 'string' ? state['Resource'] : '';
    const parameters = isObject(state['Parameters']) ? state['Parameters'] : {};
    const retriers = Array.isArray(state['Retry']) ? state['Retry'].filter(isObject) : [];
    const retriesLostInvocation = retriers.some(
      (retrier) =>
        Array.isArray(retrier['ErrorEquals']) &&
        retrier['ErrorEquals'].some(
          (error) => error === LOST_INVOCATION || error === 'States.ALL' || error === 'States.TaskFailed',
        ),
    );
    const never = () => Promise.reject(new Error('not a Lambda task'));
    if (resource === 'arn:aws:states:::states:startExecution.sync:2') {
      const placeholder =
        typeof parameters['StateMachineArn'] === 'string'
          ? /^\$\{(\w+)\}$/u.exec(parameters['StateMachineArn'])?.[1]
          : undefined;
      const child = placeholder ? spec.stateMachines?.[placeholder] : undefined;
      if (!child)
        throw new Error(`${machineName}: state "${stateName}" starts a state machine with no local definition`);
      return { kind: 'child', invoke: never, child, retriesLostInvocation };
    }
    const functionName = typeof parameters['FunctionName'] === 'string' ? parameters['FunctionName'] : resource;
    const placeholder = /^\$\{(\w+)\}$/u.exec(functionName)?.[1];
    const fn = placeholder ? spec.functions[placeholder] : undefined;
    if (!fn) throw new Error(`${machineName}: state "${stateName}" calls ${functionName}, which has no local function`);
    const invoke = async (payload: unknown): Promise<unknown> => {
      try {
        return await fn(payload, lambdaContext(placeholder ?? stateName));
      } catch (error) {
        throw new LambdaTaskError(error);
      }
    };
    if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      // aws-local-stepfunctions reads TimeoutSecondsPath from the Parameters output; AWS reads it
      // from the state input. A Parameters entry is evaluated on the state input, so the value
      // travels there and the engine enforces it (scaled).
      const timeoutPath = typeof state['TimeoutSecondsPath'] === 'string' ? state['TimeoutSecondsPath'] : undefined;
      if (timeoutPath) {
        delete state['TimeoutSecondsPath'];
        parameters[`${PATH_TIMEOUT_KEY}.$`] = timeoutPath;
      }
      const payload = isObject(parameters['Payload']) ? parameters['Payload'] : {};
      const tokenKey = Object.entries(payload).find(([, value]) => value === '$$.Task.Token')?.[0];
      if (!tokenKey)
        throw new Error(`${machineName}: "${stateName}" waits for a task token but does not pass $$.Task.Token`);
      const { [tokenKey]: _tokenPath, ...rest } = payload;
      parameters['Payload'] = { ...rest, [tokenKey.replace(/\.\$$/u, '')]: TOKEN_PLACEHOLDER };
      state['Parameters'] = parameters;
      return {
        kind: 'token',
        invoke,
        tokenKey,
        timeoutSeconds:
          typeof state['TimeoutSeconds'] === 'number'
            ? state['TimeoutSeconds']
            : timeoutPath
              ? undefined
              : AWS_DEFAULT_TASK_TIMEOUT_SECONDS,
        ...(typeof state['HeartbeatSeconds'] === 'number' ? { heartbeatSeconds: state['HeartbeatSeconds'] } : {}),
        retriesLostInvocation,
      };
    }
    return {
      kind: resource === 'arn:aws:states:::lambda:invoke' ? 'lambda-invoke' : 'invoke',
      invoke,
      retriesLostInvocation,
    };
  }
}

/** Marks every position of a restored execution: its first attempt picks up what was recorded. */
function markResumed(position: Position): Position {
  position.resumed = true;
  for (const iteration of Object.values(position.map?.running ?? {})) markResumed(iteration);
  return position;
}

/**
 * One state as a state machine of its own: each transition (Next, Default, a Choice's Next, a
 * Catch's Next, the End) goes to a Pass state that returns `{ to, output }`, so the engine knows
 * where the execution goes next, having let the library do the state's input and output
 * processing, Retry and Catch.
 */
function unitOf(name: string, state: JsonObject, parameters?: JsonObject): StateMachine {
  const unit = structuredClone(state);
  if (parameters) unit['Parameters'] = parameters;
  const targets: string[] = [];
  const transition = (target: string): string => {
    let index = targets.indexOf(target);
    if (index < 0) index = targets.push(target) - 1;
    return `${TRANSITION_PREFIX}${String(index)}`;
  };
  const type = unit['Type'];
  if (type !== 'Succeed' && type !== 'Fail' && type !== 'Choice') {
    if (typeof unit['Next'] === 'string') unit['Next'] = transition(unit['Next']);
    else if (unit['End'] === true) {
      delete unit['End'];
      unit['Next'] = transition('');
    }
  }
  if (type === 'Choice') {
    if (Array.isArray(unit['Choices']))
      for (const choice of unit['Choices'])
        if (isObject(choice) && typeof choice['Next'] === 'string') choice['Next'] = transition(choice['Next']);
    if (typeof unit['Default'] === 'string') unit['Default'] = transition(unit['Default']);
  }
  if (Array.isArray(unit['Catch']))
    for (const catcher of unit['Catch'])
      if (isObject(catcher) && typeof catcher['Next'] === 'string') catcher['Next'] = transition(catcher['Next']);
  const states: JsonObject = { [name]: unit };
  targets.forEach((target, index) => {
    states[`${TRANSITION_PREFIX}${String(index)}`] = {
      Type: 'Pass',
      Parameters: { to: target, 'output.$': '$' },
      End: true,
    };
  });
  // The original file was validated with asl-validator; the scaled copy has fractional seconds ASL forbids.
  return new StateMachine({ StartAt: name, States: states } as never, { validationOptions: { noValidate: true } });
}
