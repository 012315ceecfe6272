import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { AuthorizationRequest, IamPolicies } from '../../infra/twin/iam.js';
import { LambdaService } from '../../infra/twin/lambda.js';
import { TwinWorkflows, type TwinStateMachine } from '../../infra/twin/stepfunctions.js';

const ARN = 'arn:aws:states:us-east-1:123456789012';
const child: TwinStateMachine = {
  logicalId: 'approvalStateMachine',
  name: 'flightplan-approval',
  arn: `${ARN}:stateMachine:flightplan-approval`,
  key: 'approval',
  roleArn: 'arn:aws:iam::123456789012:role/approval',
  definition: {
    StartAt: 'Decided',
    States: { Decided: { Type: 'Pass', Result: { decision: 'APPROVED' }, End: true } },
  },
  substitutions: {},
};
const parent: TwinStateMachine = {
  logicalId: 'deploymentStateMachine',
  name: 'flightplan-deployment',
  arn: `${ARN}:stateMachine:flightplan-deployment`,
  key: 'deployment',
  roleArn: 'arn:aws:iam::123456789012:role/deployment',
  definition: {
    StartAt: 'Wait for approval',
    States: {
      'Wait for approval': {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: '${ApprovalStateMachineArn}', Input: { request: 'v1' } },
        End: true,
      },
    },
  },
  substitutions: { ApprovalStateMachineArn: child.arn },
};

/** The twin's Step Functions with an IAM that records every request and denies what `denied` names. */
function workflowsWith(denied: string[]) {
  const requests: string[] = [];
  const iam = {
    authorize: (request: AuthorizationRequest) => {
      requests.push(`${request.roleArn.split('/').at(-1) ?? ''} ${request.action} ${request.resource}`);
      const allowed = !denied.includes(request.action);
      return Promise.resolve({ allowed, explanation: allowed ? 'allowed' : `no statement allows ${request.action}` });
    },
  } as unknown as IamPolicies;
  // The machines run no Lambda task: a function-less Lambda service.
  const lambda = new LambdaService([], {
    runtimeEnvironment: () => ({}),
    logDirectory: tmpdir(),
    timeScale: 1,
    log: () => undefined,
  });
  const workflows = new TwinWorkflows([parent, child], lambda, { iam, log: () => undefined }, 1, () => undefined);
  return { workflows, requests };
}

describe('twin Step Functions', () => {
  it("checks the parent's role before a startExecution.sync:2 child starts, as Step Functions does", async () => {
    const { workflows, requests } = workflowsWith([]);
    const { executionArn } = await workflows.engine.start('deployment', 'orders-api-prod-v1', {});
    expect((await workflows.engine.waitFor(executionArn)).status).toBe('SUCCEEDED');
    const childArn = workflows.engine.list().find((execution) => execution.stateMachine === 'approval')?.executionArn;
    expect(childArn).toMatch(
      /^arn:aws:states:us-east-1:123456789012:execution:flightplan-approval:orders-api-prod-v1-/u,
    );
    expect(requests).toEqual([
      `deployment states:StartExecution ${child.arn}`,
      `deployment states:DescribeExecution ${childArn ?? ''}`,
      `deployment states:StopExecution ${childArn ?? ''}`,
      'deployment events:PutRule arn:aws:events:us-east-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
    ]);
  });

  it('fails the task, and starts no child, when the role may not start the child state machine', async () => {
    const { workflows } = workflowsWith(['states:StartExecution']);
    const { executionArn } = await workflows.engine.start('deployment', 'orders-api-prod-v2', {});
    const ended = await workflows.engine.waitFor(executionArn);
    expect(ended).toMatchObject({ status: 'FAILED', error: 'StepFunctions.AccessDeniedException' });
    expect(ended.cause).toContain('is not authorized to perform: states:StartExecution');
    expect(workflows.engine.list().filter((execution) => execution.stateMachine === 'approval')).toEqual([]);
  });
});
