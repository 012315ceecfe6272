import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { ExecutionDescription, StateMachineName } from '../../functions/ports/index.js';
import type { BusEntry } from '../../events/envelope.js';
import { EXECUTION_STATUS_CHANGE_DETAIL_TYPE } from '../../events/execution-status-changed.js';
import { REPOSITORY_ROOT, STATE_MACHINES, functionPlaceholder, type FunctionId } from '../system.js';
import { lambdaContext } from './lambda-context.js';
import { type LocalStateMachine } from './local-workflow-engine.js';

export type AnyHandler = (event: unknown, context: Context) => Promise<unknown>;

/** What Step Functions puts on the default bus when an execution ends (here: when it is stopped). */
export function executionStatusChangeEntry(execution: ExecutionDescription & { input: string }): BusEntry {
  const stateMachineArn = execution.executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/u, '');
  return {
    source: 'aws.states',
    detailType: EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: Date.parse(execution.startDate),
      stopDate: execution.stopDate ? Date.parse(execution.stopDate) : null,
      input: execution.input,
      output: null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

export async function loadStateMachines(
  handlers: Record<FunctionId, AnyHandler>,
): Promise<Record<StateMachineName, LocalStateMachine>> {
  const entries = await Promise.all(
    Object.entries(STATE_MACHINES).map(async ([name, spec]) => {
      const definition = JSON.parse(await readFile(join(REPOSITORY_ROOT, spec.definitionFile), 'utf8')) as object;
      const functions = Object.fromEntries(
        spec.steps.map((step) => [
          functionPlaceholder(step),
          (payload: unknown, _context: Context) => handlers[step](payload, lambdaContext(step)),
        ]),
      );
      return [name, { definition, functions, stateMachines: spec.stateMachineSubstitutions ?? {} }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<StateMachineName, LocalStateMachine>;
}
