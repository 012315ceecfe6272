import './polyfills.js';
import { randomBytes } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context.js';
import { TaskTokenExpiredError } from '../../functions/errors.js';
import type { ExecutionDescription, ExecutionStep, StateMachineName, WorkflowEngine } from '../../functions/ports/index.js';

export type LocalTaskFunction = (payload: unknown, context: Context) => Promise<unknown>;

export interface LocalStateMachine {
  /** The ASL exactly as deployed, `${Substitutions}` included. */
  definition: object;
  /** The function each `${Name}` placeholder stands for. */
  functions: Record<string, LocalTaskFunction>;
  /** The state machine each `${Name}` placeholder of a startExecution task stands for. */
  stateMachines?: Record<string, StateMachineName>;
}

export interface StateVisit {
  name: string;
  enteredAt: string;
}

interface Execution extends ExecutionDescription {
  stateMachine: StateMachineName;
  input: string;
  visits: StateVisit[];
  abort: () => void;
  finished: Promise<void>;
}

interface PendingToken {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  heartbeat?: () => void;
}

type TaskOverride = (input: unknown) => Promise<unknown>;

interface PreparedMachine {
  machine: StateMachine;
  /** Overrides are built per execution so every task token knows which execution it belongs to. */
  overridesFor: (executionArn: string) => Record<string, TaskOverride>;
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
/** What Step Functions uses when a Task has no TimeoutSeconds (the library's own default is 60 s). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
const TOKEN_PLACEHOLDER = '__flightplan_local_task_token__';
/** Carries a TimeoutSecondsPath value into the override (see taskOverride). */
const PATH_TIMEOUT_KEY = '__flightplanTimeoutSeconds';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

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

/**
 * Step Functions on a laptop: runs the unchanged ASL with aws-local-stepfunctions and adds what
 * that library leaves to its user — task tokens (`.waitForTaskToken`, SendTaskSuccess/Failure/
 * Heartbeat, HeartbeatSeconds), idempotent named executions with describe/stop, AWS's default
 * task timeout, and `FLIGHTPLAN_TIME_SCALE`, which divides every Wait, TimeoutSeconds,
 * HeartbeatSeconds and Retry interval.
 */
export class LocalWorkflowEngine implements WorkflowEngine {
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, PendingToken>();
  private readonly machines: Record<StateMachineName, PreparedMachine>;

  constructor(
    definitions: Record<StateMachineName, LocalStateMachine>,
    private readonly timeScale: number,
    private readonly onStateEntered?: (execution: string, state: string) => void,
  ) {
    this.machines = Object.fromEntries(
      Object.entries(definitions).map(([name, spec]) => [name, this.prepare(name, spec)]),
    ) as typeof this.machines;
  }

  start(stateMachine: StateMachineName, name: string, input: Record<string, unknown>): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const executionArn = this.arnOf(stateMachine, name);
    if (this.executions.has(executionArn)) return Promise.resolve({ executionArn, alreadyStarted: true });
    const { machine, overridesFor } = this.machines[stateMachine];
    const startDate = new Date().toISOString();
    const run = machine.run(input as JsonObject, {
      overrides: { taskResourceLocalHandlers: overridesFor(executionArn) as never },
      context: { Execution: { Id: executionArn, Name: name, Input: input as JsonObject, StartTime: startDate } },
    });
    const execution: Execution = {
      executionArn,
      name,
      stateMachine,
      input: JSON.stringify(input),
      status: 'RUNNING',
      startDate,
      visits: [],
      abort: run.abort,
      finished: Promise.resolve(),
    };
    this.executions.set(executionArn, execution);
    execution.finished = Promise.all([this.follow(execution, run.eventLogs), this.settle(execution, run.result)]).then(() => undefined);
    return Promise.resolve({ executionArn, alreadyStarted: false });
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    this.takeToken(taskToken).resolve(output);
    return Promise.resolve();
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    this.takeToken(taskToken).reject(new TaskFailure(error, cause));
    return Promise.resolve();
  }

  sendTaskHeartbeat(taskToken: string): Promise<void> {
    const pending = this.tokens.get(taskToken);
    if (!pending) throw new TaskTokenExpiredError('The task token is not waiting (it finished, timed out or never existed)');
    pending.heartbeat?.();
    return Promise.resolve();
  }

  stop(executionArn: string, error: string, cause: string): Promise<void> {
    const execution = this.executions.get(executionArn);
    if (execution?.status !== 'RUNNING') return Promise.resolve();
    Object.assign(execution, { status: 'ABORTED', stopDate: new Date().toISOString(), error, cause });
    this.releaseTokens(executionArn);
    execution.abort();
    return Promise.resolve();
  }

  describe(executionArn: string): Promise<ExecutionDescription | undefined> {
    const execution = this.executions.get(executionArn);
    if (!execution) return Promise.resolve(undefined);
    const { abort: _abort, finished: _finished, visits: _visits, input: _input, stateMachine: _stateMachine, ...description } = execution;
    return Promise.resolve(description);
  }

  async history(stateMachine: StateMachineName, name: string): Promise<{ execution: ExecutionDescription; steps: ExecutionStep[] } | undefined> {
    const executionArn = this.arnOf(stateMachine, name);
    const execution = await this.describe(executionArn);
    if (!execution) return undefined;
    return { execution, steps: this.statesVisited(executionArn).map((visit) => ({ state: visit.name, enteredAt: visit.enteredAt })) };
  }

  private arnOf(stateMachine: StateMachineName, name: string): string {
    return `arn:aws:states:${REGION}:${ACCOUNT}:execution:flightplan-${stateMachine}:${name}`;
  }

  list(): (ExecutionDescription & { stateMachine: StateMachineName })[] {
    return [...this.executions.values()];
  }

  /** The states an execution entered, in order: what path tests and the cost benchmark read. */
  statesVisited(executionArn: string): StateVisit[] {
    return [...(this.executions.get(executionArn)?.visits ?? [])];
  }

  async waitFor(executionArn: string): Promise<ExecutionDescription> {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new Error(`No execution ${executionArn}`);
    await execution.finished;
    const description = await this.describe(executionArn);
    if (!description) throw new Error(`No execution ${executionArn}`);
    return description;
  }

  /** Stops every running execution, for shutdown. */
  async stopAll(): Promise<void> {
    const running = [...this.executions.values()].filter((execution) => execution.status === 'RUNNING');
    await Promise.all(running.map((execution) => this.stop(execution.executionArn, 'LocalRuntimeStopped', 'The local runtime is shutting down')));
    await Promise.allSettled(running.map((execution) => execution.finished));
  }

  private async follow(execution: Execution, events: ReturnType<StateMachine['run']>['eventLogs']): Promise<void> {
    try {
      for await (const event of events) {
        if (event.type === 'StateEntered') {
          execution.visits.push({ name: event.state.name, enteredAt: new Date(event.timestamp).toISOString() });
          this.onStateEntered?.(execution.name, event.state.name);
        }
      }
    } catch {
      // The event stream ends with the execution's own error, which settle() records.
    }
  }

  private async settle(execution: Execution, result: Promise<unknown>): Promise<void> {
    try {
      const output = await result;
      if (execution.status === 'RUNNING') Object.assign(execution, { status: 'SUCCEEDED', output, stopDate: new Date().toISOString() });
    } catch (error) {
      if (execution.status === 'RUNNING') {
        const failure = error as { name?: string; message?: string; cause?: unknown };
        Object.assign(execution, {
          status: failure.name === 'States.Timeout' ? 'TIMED_OUT' : 'FAILED',
          error: failure.name ?? 'Error',
          cause: typeof failure.cause === 'string' ? failure.cause : (failure.message ?? ''),
          stopDate: new Date().toISOString(),
        });
      }
    } finally {
      this.releaseTokens(execution.executionArn);
    }
  }

  private takeToken(taskToken: string): PendingToken {
    const pending = this.tokens.get(taskToken);
    if (!pending) throw new TaskTokenExpiredError('The task token is not waiting (it finished, timed out or never existed)');
    this.tokens.delete(taskToken);
    return pending;
  }

  private releaseTokens(executionArn: string): void {
    for (const [token, pending] of this.tokens) {
      if (pending.executionArn === executionArn) this.tokens.delete(token);
    }
  }

  private prepare(name: string, spec: LocalStateMachine): PreparedMachine {
    const factories: Record<string, (executionArn: string) => TaskOverride> = {};
    const definition = structuredClone(spec.definition) as JsonObject;
    this.visitStates(definition, (stateName, state) => {
      this.scaleTimes(state);
      if (state['Type'] === 'Task') {
        if (factories[stateName]) throw new Error(`${name}: Task state names must be unique, "${stateName}" repeats`);
        factories[stateName] = this.taskOverride(name, stateName, state, spec);
      }
    });
    return {
      // The original file was validated with asl-validator; the scaled copy has fractional seconds ASL forbids.
      machine: new StateMachine(definition as never, { validationOptions: { noValidate: true } }),
      overridesFor: (executionArn) =>
        Object.fromEntries(Object.entries(factories).map(([stateName, factory]) => [stateName, factory(executionArn)])),
    };
  }

  private visitStates(container: JsonObject, visit: (name: string, state: JsonObject) => void): void {
    const states = container['States'];
    if (!isObject(states)) return;
    for (const [stateName, state] of Object.entries(states)) {
      if (!isObject(state)) continue;
      visit(stateName, state);
      for (const nested of [state['ItemProcessor'], state['Iterator']]) if (isObject(nested)) this.visitStates(nested, visit);
      const branches = state['Branches'];
      if (Array.isArray(branches)) for (const branch of branches) if (isObject(branch)) this.visitStates(branch, visit);
    }
  }

  private scaleTimes(state: JsonObject): void {
    const scale = (value: Json | undefined): number | undefined => (typeof value === 'number' ? value / this.timeScale : undefined);
    if (state['Type'] === 'Task') {
      state['TimeoutSeconds'] = scale(state['TimeoutSeconds'] ?? AWS_DEFAULT_TASK_TIMEOUT_SECONDS) ?? null;
      if (typeof state['HeartbeatSeconds'] === 'number') state['HeartbeatSeconds'] = scale(state['HeartbeatSeconds']) ?? null;
    }
    if (state['Type'] === 'Wait' && typeof state['Seconds'] === 'number') state['Seconds'] = scale(state['Seconds']) ?? null;
    const retriers = state['Retry'];
    if (Array.isArray(retriers)) {
      for (const retrier of retriers) {
        if (!isObject(retrier)) continue;
        retrier['IntervalSeconds'] = scale(retrier['IntervalSeconds'] ?? 1) ?? null;
        if (typeof retrier['MaxDelaySeconds'] === 'number') retrier['MaxDelaySeconds'] = scale(retrier['MaxDelaySeconds']) ?? null;
      }
    }
  }

  private taskOverride(
    machineName: string,
    stateName: string,
    state: JsonObject,
    spec: LocalStateMachine,
  ): (executionArn: string) => TaskOverride {
    const resource = typeof state['Resource'] === 'string' ? state['Resource'] : '';
    const parameters = isObject(state['Parameters']) ? state['Parameters'] : {};
    if (resource === 'arn:aws:states:::states:startExecution.sync:2') return this.childExecutionOverride(machineName, stateName, parameters, spec);
    const functions = spec.functions;
    const functionName = typeof parameters['FunctionName'] === 'string' ? parameters['FunctionName'] : resource;
    const placeholder = /^\$\{(\w+)\}$/u.exec(functionName)?.[1];
    const fn = placeholder ? functions[placeholder] : undefined;
    if (!fn) throw new Error(`${machineName}: state "${stateName}" calls ${functionName}, which has no local function`);
    // aws-local-stepfunctions reads TimeoutSecondsPath from the Parameters output; AWS reads it
    // from the state input. A Parameters entry is evaluated on the state input, so the value
    // travels there and the override enforces it (scaled).
    const timeoutPath = typeof state['TimeoutSecondsPath'] === 'string' ? state['TimeoutSecondsPath'] : undefined;
    if (timeoutPath) {
      delete state['TimeoutSecondsPath'];
      parameters[`${PATH_TIMEOUT_KEY}.$`] = timeoutPath;
      state['Parameters'] = parameters;
    }
    const invoke = async (payload: unknown): Promise<unknown> => {
      try {
        return await fn(payload, lambdaContext(placeholder ?? stateName));
      } catch (error) {
        throw new LambdaTaskError(error);
      }
    };

    if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      const payload = isObject(parameters['Payload']) ? parameters['Payload'] : {};
      const tokenKey = Object.entries(payload).find(([, value]) => value === '$$.Task.Token')?.[0];
      if (!tokenKey) throw new Error(`${machineName}: "${stateName}" waits for a task token but does not pass $$.Task.Token`);
      const { [tokenKey]: _tokenPath, ...rest } = payload;
      parameters['Payload'] = { ...rest, [tokenKey.replace(/\.\$$/u, '')]: TOKEN_PLACEHOLDER };
      const heartbeatSeconds = typeof state['HeartbeatSeconds'] === 'number' ? state['HeartbeatSeconds'] : undefined;
      return (executionArn) => (input) => this.withPathTimeout(input, (effective) => this.waitForToken(executionArn, effective, invoke, heartbeatSeconds));
    }
    if (resource === 'arn:aws:states:::lambda:invoke') {
      return () => async (input) => ({
        ExecutedVersion: '$LATEST',
        StatusCode: 200,
        Payload: await invoke(isObject(input) ? input['Payload'] : input),
      });
    }
    return () => invoke;
  }

  /** `startExecution.sync:2`: run the child to its end; its output comes back as JSON under `Output`. */
  private childExecutionOverride(machineName: string, stateName: string, parameters: JsonObject, spec: LocalStateMachine): (executionArn: string) => TaskOverride {
    const placeholder = typeof parameters['StateMachineArn'] === 'string' ? /^\$\{(\w+)\}$/u.exec(parameters['StateMachineArn'])?.[1] : undefined;
    const child = placeholder ? spec.stateMachines?.[placeholder] : undefined;
    if (!child) throw new Error(`${machineName}: state "${stateName}" starts a state machine with no local definition`);
    return (parentArn) => async (input) => {
      const childInput = isObject(input) && isObject(input['Input']) ? input['Input'] : {};
      const name = `${parentArn.split(':').at(-1) ?? 'child'}-${randomBytes(4).toString('hex')}`.slice(-80);
      const { executionArn } = await this.start(child, name, childInput);
      const result = await this.waitFor(executionArn);
      if (result.status !== 'SUCCEEDED') {
        throw new TaskFailure('States.TaskFailed', JSON.stringify({ ExecutionArn: executionArn, Status: result.status, Error: result.error, Cause: result.cause }));
      }
      return { ExecutionArn: executionArn, Output: result.output ?? null, Status: 'SUCCEEDED', StartDate: result.startDate, StopDate: result.stopDate };
    };
  }

  private withPathTimeout(input: unknown, run: (input: unknown) => Promise<unknown>): Promise<unknown> {
    const seconds = isObject(input) ? input[PATH_TIMEOUT_KEY] : undefined;
    if (!isObject(input) || typeof seconds !== 'number') return run(input);
    const { [PATH_TIMEOUT_KEY]: _timeout, ...effective } = input;
    const timeoutMs = (seconds * 1000) / this.timeScale;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new TaskFailure('States.Timeout', `No result within ${String(seconds)} s (TimeoutSecondsPath)`)); }, timeoutMs);
    });
    return Promise.race([run(effective), timeout]).finally(() => { clearTimeout(timer); });
  }

  private waitForToken(
    executionArn: string,
    input: unknown,
    invoke: (payload: unknown) => Promise<unknown>,
    heartbeatSeconds: number | undefined,
  ): Promise<unknown> {
    const token = randomBytes(24).toString('base64url');
    const payload = JSON.parse(JSON.stringify(isObject(input) ? input['Payload'] : input).replaceAll(TOKEN_PLACEHOLDER, token)) as unknown;
    return new Promise((resolve, reject) => {
      let heartbeatTimer: NodeJS.Timeout | undefined;
      const armHeartbeat = () => {
        if (heartbeatSeconds === undefined) return;
        clearTimeout(heartbeatTimer);
        heartbeatTimer = setTimeout(() => {
          this.tokens.delete(token);
          reject(new TaskFailure('States.HeartbeatTimeout', 'No heartbeat within HeartbeatSeconds'));
        }, heartbeatSeconds * 1000);
      };
      this.tokens.set(token, {
        executionArn,
        resolve: (output) => {
          clearTimeout(heartbeatTimer);
          resolve(output);
        },
        reject: (error) => {
          clearTimeout(heartbeatTimer);
          reject(error);
        },
        heartbeat: armHeartbeat,
      });
      armHeartbeat();
      invoke(payload).catch((error: unknown) => {
        this.tokens.delete(token);
        clearTimeout(heartbeatTimer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  }
}
