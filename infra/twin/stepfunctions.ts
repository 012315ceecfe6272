import { randomUUID } from 'node:crypto';
import type { DescribeExecutionOutput, ExecutionListItem, HistoryEvent } from '@aws-sdk/client-sfn';
import { TaskTokenExpiredError } from '../../functions/errors.js';
import type { ExecutionDescription, StateMachineName } from '../../functions/ports/index.js';
import { LocalWorkflowEngine, type LocalStateMachine } from '../local/local-workflow-engine.js';
import { resourcesOfType, type StackResolver } from './assembly.js';
import {
  authorizeCall,
  AwsServiceError,
  startJsonEndpoint,
  type AuthorizeOptions,
  type Caller,
  type Principals,
  type RunningEndpoint,
} from './aws-endpoint.js';
import type { LambdaService } from './lambda.js';

/** A state machine as its template declares it: the unchanged DefinitionString and its resolved substitutions. */
export interface TwinStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  /** The engine's name for it: the state machine name without `flightplan-`. */
  key: StateMachineName;
  roleArn: string;
  definition: JsonObject;
  substitutions: Record<string, string>;
}

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function stateMachinesFrom(resolvers: StackResolver[]): TwinStateMachine[] {
  return resolvers.flatMap((resolver) =>
    resourcesOfType(resolver.stack, 'AWS::StepFunctions::StateMachine').map(
      ([logicalId, resource]): TwinStateMachine => {
        const properties = resource.Properties ?? {};
        const name = resolver.physicalOf(logicalId).attributes['Name'] ?? logicalId;
        const key = name.replace(/^flightplan-/u, '') as StateMachineName;
        const definitionString = resolver.resolveString(
          properties['DefinitionString'],
          `${logicalId}.DefinitionString`,
        );
        const substitutions = resolver.resolve(
          properties['DefinitionSubstitutions'] ?? {},
          `${logicalId}.DefinitionSubstitutions`,
        ) as Record<string, string>;
        return {
          logicalId,
          name,
          arn: resolver.arn(logicalId),
          key,
          roleArn: resolver.resolveString(properties['RoleArn'], `${logicalId}.RoleArn`),
          definition: JSON.parse(definitionString) as JsonObject,
          substitutions,
        };
      },
    ),
  );
}

/** Every state of a definition, nested Map and Parallel states included, with its type. */
function statesOf(container: JsonObject, into = new Map<string, JsonObject>()): Map<string, JsonObject> {
  const states = container['States'];
  if (!isObject(states)) return into;
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    into.set(name, state);
    for (const nested of [state['ItemProcessor'], state['Iterator']]) if (isObject(nested)) statesOf(nested, into);
    if (Array.isArray(state['Branches']))
      for (const branch of state['Branches']) if (isObject(branch)) statesOf(branch, into);
  }
  return into;
}

/** The payload keys that carry `$$.Task.Token` in a definition's waitForTaskToken tasks. */
function taskTokenKeys(definition: JsonObject): string[] {
  return [...statesOf(definition).values()].flatMap((state) => {
    const parameters = state['Parameters'];
    const payload = isObject(parameters) ? parameters['Payload'] : undefined;
    return isObject(payload)
      ? Object.entries(payload)
          .filter(([, value]) => value === '$$.Task.Token')
          .map(([key]) => key.replace(/\.\$$/u, ''))
      : [];
  });
}

/**
 * Step Functions for the twin: the templates' definitions on LocalWorkflowEngine, each Lambda
 * task invoking the function its substitution names through the twin's Lambda, after checking
 * the state machine's role may invoke it.
 */
export class TwinWorkflows {
  readonly engine: LocalWorkflowEngine;
  private readonly tokenOwners = new Map<string, TwinStateMachine>();
  private readonly machinesByArn = new Map<string, TwinStateMachine>();
  private readonly stateTypes = new Map<string, Map<string, string>>();

  constructor(
    readonly machines: TwinStateMachine[],
    private readonly lambda: LambdaService,
    private readonly auth: AuthorizeOptions,
    timeScale: number,
    onStateEntered: (execution: string, state: string) => void,
  ) {
    const arnToKey = new Map(machines.map((machine) => [machine.arn, machine.key]));
    const definitions = {} as Record<StateMachineName, LocalStateMachine>;
    for (const machine of machines) {
      this.machinesByArn.set(machine.arn, machine);
      this.stateTypes.set(
        machine.key,
        new Map([...statesOf(machine.definition)].map(([name, state]) => [name, String(state['Type'])])),
      );
      const tokenKeys = taskTokenKeys(machine.definition);
      const functions: LocalStateMachine['functions'] = {};
      const stateMachines: Record<string, StateMachineName> = {};
      for (const [placeholder, value] of Object.entries(machine.substitutions)) {
        const child = arnToKey.get(value);
        if (child) stateMachines[placeholder] = child;
        else if (value.startsWith('arn:aws:lambda:'))
          functions[placeholder] = (payload) => this.invokeTask(machine, value, payload, tokenKeys);
      }
      definitions[machine.key] = {
        definition: machine.definition,
        functions,
        stateMachines,
        authorizeChild: (child, executionArn) => this.authorizeChild(machine, child, executionArn),
      };
    }
    // Executions are named in the template's account: `$$.Execution.Id` reaches functions whose grants name it.
    const account = /^arn:aws:states:[^:]+:(\d{12}):/u.exec(machines[0]?.arn ?? '')?.[1];
    this.engine = new LocalWorkflowEngine(definitions, timeScale, onStateEntered, account ? { account } : {});
  }

  machineByArn(arn: string): TwinStateMachine | undefined {
    return this.machinesByArn.get(arn);
  }

  stateTypeOf(machine: StateMachineName, state: string): string {
    return this.stateTypes.get(machine)?.get(state) ?? 'Task';
  }

  tokenOwner(token: string): TwinStateMachine | undefined {
    return this.tokenOwners.get(token);
  }

  /**
   * What Step Functions asks of the parent's role for startExecution.sync:2: start the child,
   * describe (and stop) its execution, and manage the rule that reports the child's end.
   */
  private async authorizeChild(
    machine: TwinStateMachine,
    child: StateMachineName,
    childExecutionArn: string,
  ): Promise<void> {
    const childMachine = this.machines.find((candidate) => candidate.key === child);
    if (!childMachine)
      throw taskError('States.Runtime', `${machine.name} starts ${child}, which is not in the template`);
    const [, , , region, account] = machine.arn.split(':');
    const caller: Caller = {
      accessKeyId: 'states',
      roleArn: machine.roleArn,
      sessionName: machine.name,
      label: `state machine ${machine.name}`,
    };
    try {
      await authorizeCall(this.auth, caller, 'states:StartExecution', childMachine.arn);
      await authorizeCall(this.auth, caller, 'states:DescribeExecution', childExecutionArn);
      await authorizeCall(this.auth, caller, 'states:StopExecution', childExecutionArn);
      await authorizeCall(
        this.auth,
        caller,
        'events:PutRule',
        `arn:aws:events:${region ?? ''}:${account ?? ''}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`,
      );
    } catch (error) {
      throw taskError('StepFunctions.AccessDeniedException', (error as Error).message);
    }
  }

  private async invokeTask(
    machine: TwinStateMachine,
    functionArn: string,
    payload: unknown,
    tokenKeys: string[],
  ): Promise<unknown> {
    if (isObject(payload))
      for (const key of tokenKeys) if (typeof payload[key] === 'string') this.tokenOwners.set(payload[key], machine);
    const caller: Caller = {
      accessKeyId: 'states',
      roleArn: machine.roleArn,
      sessionName: machine.name,
      label: `state machine ${machine.name}`,
    };
    try {
      await authorizeCall(this.auth, caller, 'lambda:InvokeFunction', functionArn);
    } catch (error) {
      throw taskError('Lambda.AWSLambdaException', (error as Error).message);
    }
    const result = await this.lambda.invoke(functionArn, payload);
    if (result.ok) return result.payload;
    throw taskError(result.error.errorType, result.error.errorMessage);
  }
}

const taskError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);

const seconds = (iso: string | undefined) => (iso ? Date.parse(iso) / 1000 : undefined);

interface EngineExecution extends ExecutionDescription {
  stateMachine: StateMachineName;
  input?: string;
}

/**
 * The Step Functions API (AWS JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Op>`) over the twin's
 * executions, with each call authorized against the caller's role.
 */
export function startStepFunctionsEndpoint(
  options: AuthorizeOptions & { workflows: TwinWorkflows; principals: Principals },
): Promise<RunningEndpoint> {
  const { workflows } = options;
  const engine = workflows.engine;
  const machineOf = (arn: unknown): TwinStateMachine => {
    const machine = workflows.machineByArn(String(arn));
    if (!machine)
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return machine;
  };
  const executionOf = (arn: unknown): EngineExecution => {
    const execution: EngineExecution | undefined = engine
      .list()
      .find((candidate) => candidate.executionArn === String(arn));
    if (!execution) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return execution;
  };
  const machineArnOf = (execution: EngineExecution) =>
    workflows.machines.find((machine) => machine.key === execution.stateMachine)?.arn ?? '';
  const signal = async (caller: Caller, input: JsonObject, action: string, send: (token: string) => Promise<void>) => {
    const token = text(input['taskToken']);
    const owner = workflows.tokenOwner(token);
    if (!owner) throw new AwsServiceError('InvalidToken', 'Invalid Token');
    await authorizeCall(options, caller, action, owner.arn);
    try {
      await send(token);
    } catch (error) {
      if (error instanceof TaskTokenExpiredError) throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
      throw error;
    }
    return {};
  };
  return startJsonEndpoint({
    service: 'stepfunctions',
    principals: options.principals,
    targetPrefix: 'AWSStepFunctions',
    contentType: 'application/x-amz-json-1.0',
    log: options.log,
    operations: {
      StartExecution: async (input, caller) => {
        const machine = machineOf(input['stateMachineArn']);
        await authorizeCall(options, caller, 'states:StartExecution', machine.arn);
        const name = typeof input['name'] === 'string' ? input['name'] : randomUUID();
        const text = typeof input['input'] === 'string' ? input['input'] : '{}';
        const parsed = JSON.parse(text) as Record<string, unknown>;
        const { executionArn, alreadyStarted } = await engine.start(machine.key, name, parsed);
        const execution = executionOf(executionArn);
        // The same name is idempotent only while RUNNING and with the same input.
        if (
          alreadyStarted &&
          (execution.status !== 'RUNNING' ||
            JSON.stringify(JSON.parse(execution.input ?? '{}')) !== JSON.stringify(parsed))
        ) {
          throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
        }
        return { executionArn: executionArn, startDate: seconds(execution.startDate) };
      },
      DescribeExecution: async (input, caller) => {
        await authorizeCall(options, caller, 'states:DescribeExecution', String(input['executionArn']));
        const execution = executionOf(input['executionArn']);
        const output: Record<keyof DescribeExecutionOutput, unknown> = {} as never;
        Object.assign(output, {
          executionArn: execution.executionArn,
          stateMachineArn: machineArnOf(execution),
          name: execution.name,
          status: execution.status,
          startDate: seconds(execution.startDate),
          ...(execution.stopDate ? { stopDate: seconds(execution.stopDate) } : {}),
          input: execution.input ?? '{}',
          ...(execution.output !== undefined ? { output: JSON.stringify(execution.output) } : {}),
          ...(execution.error ? { error: execution.error } : {}),
          ...(execution.cause ? { cause: execution.cause } : {}),
        });
        return output;
      },
      StopExecution: async (input, caller) => {
        await authorizeCall(options, caller, 'states:StopExecution', String(input['executionArn']));
        const execution = executionOf(input['executionArn']);
        await engine.stop(execution.executionArn, text(input['error']), text(input['cause']));
        return { stopDate: Date.now() / 1000 };
      },
      SendTaskSuccess: (input, caller) =>
        signal(caller, input, 'states:SendTaskSuccess', (token) =>
          engine.sendTaskSuccess(token, JSON.parse(text(input['output'], 'null')) as unknown),
        ),
      SendTaskFailure: (input, caller) =>
        signal(caller, input, 'states:SendTaskFailure', (token) =>
          engine.sendTaskFailure(token, text(input['error']), text(input['cause'])),
        ),
      SendTaskHeartbeat: (input, caller) =>
        signal(caller, input, 'states:SendTaskHeartbeat', (token) => engine.sendTaskHeartbeat(token)),
      ListExecutions: async (input, caller) => {
        const machine = machineOf(input['stateMachineArn']);
        await authorizeCall(options, caller, 'states:ListExecutions', machine.arn);
        const all = (engine.list() as EngineExecution[])
          .filter(
            (execution) =>
              execution.stateMachine === machine.key &&
              (!input['statusFilter'] || execution.status === input['statusFilter']),
          )
          .sort((a, b) => b.startDate.localeCompare(a.startDate));
        const start = Number(input['nextToken'] ?? 0);
        const size = Number(input['maxResults'] ?? 100) || 100;
        const page = all.slice(start, start + size).map(
          (execution): Record<keyof ExecutionListItem, unknown> =>
            ({
              executionArn: execution.executionArn,
              stateMachineArn: machine.arn,
              name: execution.name,
              status: execution.status,
              startDate: seconds(execution.startDate),
              stopDate: seconds(execution.stopDate),
            }) as never,
        );
        return { executions: page, ...(start + size < all.length ? { nextToken: String(start + size) } : {}) };
      },
      GetExecutionHistory: async (input, caller) => {
        await authorizeCall(options, caller, 'states:GetExecutionHistory', String(input['executionArn']));
        const execution = executionOf(input['executionArn']);
        const events = historyOf(
          execution,
          engine.statesVisited(execution.executionArn),
          (state) => workflows.stateTypeOf(execution.stateMachine, state),
          machineArnOf(execution),
        );
        const ordered = input['reverseOrder'] === true ? [...events].reverse() : events;
        const start = Number(input['nextToken'] ?? 0);
        const size = Number(input['maxResults'] ?? 1000) || 1000;
        return {
          events: ordered.slice(start, start + size),
          ...(start + size < ordered.length ? { nextToken: String(start + size) } : {}),
        };
      },
    },
  });
}

/** The history the console shows, from what the engine records: the start, each state entered, the end. */
function historyOf(
  execution: EngineExecution,
  visits: { name: string; enteredAt: string }[],
  typeOf: (state: string) => string,
  stateMachineArn: string,
): Record<string, unknown>[] {
  const events: Partial<Record<keyof HistoryEvent, unknown>>[] = [];
  const add = (type: string, timestamp: string, details: Record<string, unknown>) => {
    events.push({
      id: events.length + 1,
      previousEventId: events.length,
      timestamp: seconds(timestamp),
      type,
      ...details,
    });
  };
  add('ExecutionStarted', execution.startDate, {
    executionStartedEventDetails: { input: execution.input ?? '{}', roleArn: '', stateMachineArn },
  });
  for (const visit of visits)
    add(`${typeOf(visit.name)}StateEntered`, visit.enteredAt, {
      stateEnteredEventDetails: { name: visit.name, input: '{}' },
    });
  const end = execution.stopDate ?? new Date().toISOString();
  if (execution.status === 'SUCCEEDED')
    add('ExecutionSucceeded', end, {
      executionSucceededEventDetails: { output: JSON.stringify(execution.output ?? null) },
    });
  if (execution.status === 'FAILED')
    add('ExecutionFailed', end, {
      executionFailedEventDetails: { error: execution.error ?? '', cause: execution.cause ?? '' },
    });
  if (execution.status === 'ABORTED')
    add('ExecutionAborted', end, {
      executionAbortedEventDetails: { error: execution.error ?? '', cause: execution.cause ?? '' },
    });
  if (execution.status === 'TIMED_OUT')
    add('ExecutionTimedOut', end, {
      executionTimedOutEventDetails: { error: execution.error ?? '', cause: execution.cause ?? '' },
    });
  return events;
}
