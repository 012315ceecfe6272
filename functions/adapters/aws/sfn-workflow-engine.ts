import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { TaskTokenExpiredError } from '../../errors.js';
import type {
  ExecutionDescription,
  ExecutionHistoryEvent,
  StateMachineName,
  WorkflowEngine,
} from '../../ports/index.js';

/** Step Functions Standard. Execution names are deterministic, so a repeated start finds the first. */
export class SfnWorkflowEngine implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArns: Partial<Record<StateMachineName, string>>,
  ) {}

  async start(stateMachine: StateMachineName, name: string, input: Record<string, unknown>) {
    const stateMachineArn = this.stateMachineArns[stateMachine];
    if (!stateMachineArn) throw new Error(`This function was not given the ARN of the ${stateMachine} state machine`);
    try {
      const result = await this.client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: result.executionArn ?? executionArnFor(stateMachineArn, name), alreadyStarted: false };
    } catch (error) {
      // Names are never reused, even after the execution ended: the request was already served.
      if (error instanceof ExecutionAlreadyExists)
        return { executionArn: executionArnFor(stateMachineArn, name), alreadyStarted: true };
      throw error;
    }
  }

  sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    return this.signal(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    return this.signal(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, 32768) }));
  }

  sendTaskHeartbeat(taskToken: string): Promise<void> {
    return this.signal(new SendTaskHeartbeatCommand({ taskToken }));
  }

  private async signal(
    command: SendTaskSuccessCommand | SendTaskFailureCommand | SendTaskHeartbeatCommand,
  ): Promise<void> {
    try {
      await this.client.send(command as SendTaskSuccessCommand);
    } catch (error) {
      if (error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken) {
        throw new TaskTokenExpiredError('The task token is not waiting any more', { cause: error });
      }
      throw error;
    }
  }

  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    await this.client.send(new StopExecutionCommand({ executionArn, error, cause }));
  }

  async executionHistory(
    stateMachine: StateMachineName,
    name: string,
  ): Promise<{ execution: ExecutionDescription; events: ExecutionHistoryEvent[] } | undefined> {
    const stateMachineArn = this.stateMachineArns[stateMachine];
    if (!stateMachineArn) throw new Error(`This function was not given the ARN of the ${stateMachine} state machine`);
    const executionArn = executionArnFor(stateMachineArn, name);
    const execution = await this.describe(executionArn);
    if (!execution) return undefined;
    const events: ExecutionHistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
      );
      for (const event of page.events ?? [])
        events.push({
          ...event,
          id: event.id ?? 0,
          type: event.type ?? '',
          timestamp: (event.timestamp ?? new Date(0)).toISOString(),
        });
      nextToken = page.nextToken;
    } while (nextToken);
    return { execution, events };
  }

  async describe(executionArn: string): Promise<ExecutionDescription | undefined> {
    try {
      const result = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      return {
        executionArn,
        name: result.name ?? '',
        status: (result.status ?? 'RUNNING') as ExecutionDescription['status'],
        startDate: (result.startDate ?? new Date()).toISOString(),
        ...(result.stopDate ? { stopDate: result.stopDate.toISOString() } : {}),
        ...(result.output ? { output: JSON.parse(result.output) as unknown } : {}),
        ...(result.error ? { error: result.error } : {}),
        ...(result.cause ? { cause: result.cause } : {}),
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
  }
}

export const executionArnFor = (stateMachineArn: string, name: string): string =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
