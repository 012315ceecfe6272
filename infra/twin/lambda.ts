import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** A function as the template declares it, with everything resolved to twin names. */
export interface TwinFunctionSpec {
  logicalId: string;
  stack: string;
  name: string;
  arn: string;
  region: string;
  assetDirectory: string;
  /** `index.handler`: file `index.(mjs|js|cjs)` in the asset, export `handler`. */
  handler: string;
  /** Exactly the template's `Environment.Variables`, resolved. */
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency?: number;
  roleArn: string;
  /** Async invocations: retries after the first attempt (EventInvokeConfig, default 2) and where failures go. */
  asyncRetries: number;
  onFailure?: string;
}

export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: LambdaError };

export interface FunctionStats {
  logicalId: string;
  stack: string;
  name: string;
  arn: string;
  assetPath: string;
  timeoutSeconds: number;
  invocations: number;
  errors: number;
  coldStarts: number;
  warmContainers: number;
  lastError: (LambdaError & { at: string }) | null;
  asyncFailuresDropped: number;
}

/** What the runtime hands every execution environment, besides the template's variables. */
export type RuntimeEnvironment = (fn: TwinFunctionSpec) => Record<string, string>;

/**
 * Lambda gives the init phase 10 s. Importing a bundle and its SDK on a loaded 2-core machine can
 * take longer than that, which says nothing about Lambda, so the twin allows a minute.
 */
const INIT_TIMEOUT_MS = 60_000;
/** Lambda waits about a minute, then two, between async attempts. */
const ASYNC_RETRY_DELAYS_SECONDS = [60, 120];

/**
 * The code each execution environment runs: import the asset once (the init phase), then take
 * invocations one at a time, with Lambda's context object. Results cross as JSON, as on Lambda.
 */
const BOOTSTRAP = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
let handler;
const init = (async () => {
  if (workerData.sourceMaps) process.setSourceMapsEnabled(true);
  const module = await import(pathToFileURL(workerData.entry).href);
  handler = module[workerData.exportName];
  if (typeof handler !== 'function') {
    const error = new Error(workerData.entry + ' does not export ' + workerData.exportName);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
})();
const describe = (error) => ({
  errorType: (error && error.name) || 'Error',
  errorMessage: (error && error.message) || String(error),
  trace: String((error && error.stack) || '').split('\n'),
});
parentPort.on('message', async (message) => {
  if (message.type === 'init') {
    try { await init; parentPort.postMessage({ type: 'ready' }); }
    catch (error) { parentPort.postMessage({ type: 'init-failed', error: describe(error) }); }
    return;
  }
  process.env._X_AMZN_TRACE_ID = message.traceId;
  const context = {
    ...message.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done() {}, fail() {}, succeed() {},
  };
  try {
    const result = await handler(message.event, context);
    const json = JSON.stringify(result);
    parentPort.postMessage({ type: 'result', id: message.id, ok: true, payload: json === undefined ? 'null' : json });
  } catch (error) {
    parentPort.postMessage({ type: 'result', id: message.id, ok: false, error: describe(error) });
  }
});
`;

/** One warm execution environment: a worker thread holding one instance of the function's module. */
class Container {
  private constructor(
    private readonly worker: Worker,
    private readonly spec: TwinFunctionSpec,
  ) {}

  static async start(
    spec: TwinFunctionSpec,
    environment: Record<string, string>,
    log: WriteStream,
  ): Promise<Container> {
    const [file, exportName] = splitHandler(spec);
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: environment,
      workerData: {
        entry: file,
        exportName,
        sourceMaps: (environment['NODE_OPTIONS'] ?? '').includes('--enable-source-maps'),
      },
      stdout: true,
      stderr: true,
      // Lambda's memory setting bounds the heap; the twin caps the worker's old space the same way.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(128, spec.memoryMb) },
    });
    worker.stdout.pipe(log, { end: false });
    worker.stderr.pipe(log, { end: false });
    const container = new Container(worker, spec);
    await container.exchange({ type: 'init' }, INIT_TIMEOUT_MS, (message) => {
      if (message.type === 'init-failed') throw errorFrom(message.error as LambdaError);
      return message.type === 'ready';
    });
    return container;
  }

  async invoke(event: unknown, requestId: string): Promise<InvokeResult> {
    const deadline = Date.now() + this.spec.timeoutSeconds * 1000;
    const message = {
      type: 'invoke',
      id: requestId,
      event,
      deadline,
      traceId: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Parent=${randomUUID().replaceAll('-', '').slice(0, 16)};Sampled=0`,
      context: {
        functionName: this.spec.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: this.spec.arn,
        memoryLimitInMB: String(this.spec.memoryMb),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${this.spec.name}`,
        logStreamName: `twin/[$LATEST]${requestId.replaceAll('-', '')}`,
      },
    };
    let result: InvokeResult | undefined;
    await this.exchange(message, this.spec.timeoutSeconds * 1000, (reply) => {
      if (reply.type !== 'result' || reply.id !== requestId) return false;
      result = reply.ok
        ? { ok: true, payload: JSON.parse(String(reply.payload)) as unknown }
        : { ok: false, error: reply.error as LambdaError };
      return true;
    });
    if (!result) throw new Error('unreachable: no result');
    return result;
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }

  /** Sends a message and waits for the reply `accept` recognises; a timeout terminates the environment, as Lambda does. */
  private exchange(
    message: { type: string },
    timeoutMs: number,
    accept: (reply: Record<string, unknown>) => boolean,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
        this.worker.off('exit', onExit);
      };
      const timer = setTimeout(() => {
        cleanup();
        void this.worker.terminate();
        reject(
          new TimeoutError(
            message.type === 'init'
              ? `Init timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`
              : `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          ),
        );
      }, timeoutMs);
      const onMessage = (reply: Record<string, unknown>) => {
        try {
          if (!accept(reply)) return;
          cleanup();
          resolve();
        } catch (error) {
          cleanup();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const onError = (error: Error) => {
        cleanup();
        reject(errorFrom({ errorType: 'Runtime.ExitError', errorMessage: error.message }));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(errorFrom({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: exited with code ${code}` }));
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', onError);
      this.worker.on('exit', onExit);
      this.worker.postMessage(message);
    });
  }
}

class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Sandbox.Timedout';
  }
}

class ContainerError extends Error {
  constructor(readonly lambdaError: LambdaError) {
    super(lambdaError.errorMessage);
    this.name = lambdaError.errorType;
  }
}

const errorFrom = (error: LambdaError): ContainerError => new ContainerError(error);

function splitHandler(spec: TwinFunctionSpec): [string, string] {
  const dot = spec.handler.lastIndexOf('.');
  const base = spec.handler.slice(0, dot);
  const exportName = spec.handler.slice(dot + 1);
  const file = ['.mjs', '.js', '.cjs']
    .map((extension) => join(spec.assetDirectory, `${base}${extension}`))
    .find((candidate) => existsSync(candidate));
  if (!file) throw new Error(`${spec.logicalId}: no ${base}.mjs, .js or .cjs in ${spec.assetDirectory}`);
  return [file, exportName];
}

interface FunctionState {
  spec: TwinFunctionSpec;
  idle: Container[];
  busy: number;
  waiting: (() => void)[];
  stats: FunctionStats;
  log: WriteStream;
}

/**
 * Lambda on one machine: each function's bundled asset in its own worker threads, one module
 * instance per warm environment, the template's environment and timeout, and Lambda's sync and
 * async invocation semantics (an async event is tried three times, then goes to the function's
 * failure destination or DLQ, or is dropped and logged).
 */
export class LambdaService {
  private readonly functions = new Map<string, FunctionState>();
  /** Every invocation queued or running, synchronous or async (with its retries), for {@link idle}. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly containers = new Set<Container>();
  private stopped = false;

  constructor(
    specs: TwinFunctionSpec[],
    private readonly options: {
      runtimeEnvironment: RuntimeEnvironment;
      logDirectory: string;
      timeScale: number;
      log: (line: string) => void;
      /** Where an async failure goes when the function has a destination or DLQ. */
      deliverFailure?: (target: string, record: object) => Promise<void>;
    },
  ) {
    for (const spec of specs) {
      const state: FunctionState = {
        spec,
        idle: [],
        busy: 0,
        waiting: [],
        log: createWriteStream(join(options.logDirectory, `${spec.stack}.${spec.logicalId}.log`), { flags: 'a' }),
        stats: {
          logicalId: spec.logicalId,
          stack: spec.stack,
          name: spec.name,
          arn: spec.arn,
          assetPath: spec.assetDirectory,
          timeoutSeconds: spec.timeoutSeconds,
          invocations: 0,
          errors: 0,
          coldStarts: 0,
          warmContainers: 0,
          lastError: null,
          asyncFailuresDropped: 0,
        },
      };
      this.functions.set(spec.arn, state);
      this.functions.set(spec.name, state);
    }
  }

  static async prepareLogDirectory(directory: string): Promise<void> {
    await mkdir(directory, { recursive: true });
  }

  /** A function by name, ARN, or ARN with a version or alias qualifier. */
  find(nameOrArn: string): TwinFunctionSpec | undefined {
    return this.stateOf(nameOrArn)?.spec;
  }

  specs(): TwinFunctionSpec[] {
    return [...new Set(this.functions.values())].map((state) => state.spec);
  }

  stats(): FunctionStats[] {
    return [...new Set(this.functions.values())].map((state) => ({
      ...state.stats,
      warmContainers: state.idle.length + state.busy,
    }));
  }

  /**
   * Starts environments ahead of traffic, `parallel` at a time, as provisioned concurrency would:
   * one per function, or as many as `environments` says for it. Cold starts then stop counting
   * against the workflows' (scaled) timeouts.
   */
  async prewarm(
    parallel = 2,
    only?: (spec: TwinFunctionSpec) => boolean,
    environments: (spec: TwinFunctionSpec) => number = () => 1,
  ): Promise<void> {
    const queue = [...new Set(this.functions.values())]
      .filter((state) => !only || only(state.spec))
      .flatMap((state) =>
        Array.from<FunctionState>({
          length: Math.max(0, environments(state.spec) - state.idle.length - state.busy),
        }).fill(state),
      );
    const worker = async () => {
      for (let state = queue.shift(); state && !this.stopped; state = queue.shift()) {
        try {
          const container = await Container.start(state.spec, this.environmentOf(state.spec), state.log);
          this.containers.add(container);
          state.stats.coldStarts += 1;
          state.idle.push(container);
        } catch (error) {
          this.recordError(
            state,
            error instanceof ContainerError
              ? error.lambdaError
              : { errorType: (error as Error).name, errorMessage: (error as Error).message },
          );
        }
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  /** RequestResponse: runs the function and returns its result or its error, as Lambda's Invoke does. */
  invoke(nameOrArn: string, event: unknown): Promise<InvokeResult> {
    return this.track(this.invokeNow(nameOrArn, event));
  }

  private async invokeNow(nameOrArn: string, event: unknown): Promise<InvokeResult> {
    const state = this.stateOf(nameOrArn);
    if (!state)
      return {
        ok: false,
        error: { errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${nameOrArn}` },
      };
    await this.acquireSlot(state);
    state.stats.invocations += 1;
    const requestId = randomUUID();
    let container: Container | undefined;
    try {
      container = state.idle.pop();
      if (!container) {
        state.stats.coldStarts += 1;
        if (this.stopped)
          throw new ContainerError({ errorType: 'ServiceException', errorMessage: 'The twin is stopping' });
        const starting = Date.now();
        const inFlight = state.busy;
        container = await Container.start(state.spec, this.environmentOf(state.spec), state.log);
        this.containers.add(container);
        // Cold starts in traffic are what prewarm is for: the log shows any that scaled time counted.
        this.options.log(
          `lambda: ${state.spec.logicalId} cold start in ${((Date.now() - starting) / 1000).toFixed(1)} s, ${inFlight} invocations in flight when it began`,
        );
      }
      const result = await container.invoke(event, requestId);
      if (this.stopped) void container.stop();
      else state.idle.push(container);
      if (!result.ok) this.recordError(state, result.error);
      return result;
    } catch (error) {
      if (container) this.containers.delete(container);
      // The environment is gone (timeout, crash, failed init): the next invocation starts a new one.
      const lambdaError =
        error instanceof ContainerError
          ? error.lambdaError
          : { errorType: (error as Error).name, errorMessage: (error as Error).message };
      this.recordError(state, lambdaError);
      return { ok: false, error: lambdaError };
    } finally {
      state.busy -= 1;
      state.waiting.shift()?.();
    }
  }

  /** Event: accepted at once; tried up to 1 + retries times, then sent to the failure target or dropped. */
  invokeAsync(nameOrArn: string, event: unknown, origin: string): void {
    const state = this.stateOf(nameOrArn);
    if (!state) throw new Error(`Function not found: ${nameOrArn}`);
    const run = (async () => {
      let last: LambdaError | undefined;
      for (let attempt = 0; attempt <= state.spec.asyncRetries && !this.stopped; attempt += 1) {
        if (attempt > 0)
          await sleep(((ASYNC_RETRY_DELAYS_SECONDS[attempt - 1] ?? 120) * 1000) / this.options.timeScale);
        if (this.isStopped()) return;
        const result = await this.invoke(state.spec.arn, event);
        if (result.ok) return;
        last = result.error;
      }
      if (this.stopped || !last) return;
      const record = {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          functionArn: state.spec.arn,
          condition: 'RetriesExhausted',
          approximateInvokeCount: state.spec.asyncRetries + 1,
        },
        requestPayload: event,
        responsePayload: last,
      };
      if (state.spec.onFailure && this.options.deliverFailure) {
        await this.options.deliverFailure(state.spec.onFailure, record);
        this.options.log(
          `lambda: ${state.spec.logicalId} failed ${state.spec.asyncRetries + 1} times for ${origin}; sent to ${state.spec.onFailure}`,
        );
      } else {
        state.stats.asyncFailuresDropped += 1;
        this.options.log(
          `lambda: ${state.spec.logicalId} failed ${state.spec.asyncRetries + 1} times for ${origin} and has no failure destination or DLQ: the event is DROPPED (${last.errorType}: ${last.errorMessage})`,
        );
      }
    })();
    void this.track(run);
  }

  private track<T>(invocation: Promise<T>): Promise<T> {
    this.inFlight.add(invocation);
    void invocation.finally(() => this.inFlight.delete(invocation));
    return invocation;
  }

  /**
   * Resolves once no invocation is queued or running, synchronous ones included: a task Lambda
   * may have written what a caller saw and still be publishing the event that follows it.
   */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Busy environments too: an invocation still running when the twin stops ends with it.
    await Promise.allSettled([...this.containers].map((container) => container.stop()));
    this.containers.clear();
    for (const state of new Set(this.functions.values())) {
      state.idle.length = 0;
      state.log.end();
    }
  }

  /** Read through a method: an await may have changed it. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private environmentOf(spec: TwinFunctionSpec): Record<string, string> {
    return { ...this.options.runtimeEnvironment(spec), ...spec.environment };
  }

  private stateOf(nameOrArn: string): FunctionState | undefined {
    const direct = this.functions.get(nameOrArn);
    if (direct) return direct;
    // arn:aws:lambda:region:account:function:name:qualifier
    const unqualified = /^(arn:aws:lambda:[^:]+:\d{12}:function:[^:]+):[^:]+$/u.exec(nameOrArn)?.[1];
    return unqualified ? this.functions.get(unqualified) : undefined;
  }

  private async acquireSlot(state: FunctionState): Promise<void> {
    const limit = state.spec.reservedConcurrency;
    // Over its reserved concurrency Lambda throttles; callers here (SFN, the bus) retry those, so the twin queues instead.
    while (limit !== undefined && state.busy >= limit)
      await new Promise<void>((resolve) => state.waiting.push(resolve));
    state.busy += 1;
  }

  private recordError(state: FunctionState, error: LambdaError): void {
    state.stats.errors += 1;
    state.stats.lastError = { ...error, at: new Date().toISOString() };
    this.options.log(`lambda: ${state.spec.logicalId} failed: ${error.errorType}: ${error.errorMessage}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
