import * as z from '../functions/zod.js';
import type { BusEntry } from './envelope.js';

/**
 * Step Functions' own "Step Functions Execution Status Change" event (source `aws.states`), on the
 * account's default bus on AWS; locally the workflow engine publishes it when an execution is
 * stopped. It is how Flightplan hears of an execution that ended without running its Catch: a
 * StopExecution from the console, a timeout.
 */
export const EXECUTION_STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

/** The name the CDK app gives the deployment state machine (`flightplan-{name}`). */
export const DEPLOYMENT_STATE_MACHINE_NAME = 'flightplan-deployment';

export const executionStatusChangeDetailSchema = z.object({
  executionArn: z.string().check(z.minLength(1)),
  stateMachineArn: z.string().check(z.minLength(1)),
  name: z.string().check(z.minLength(1)),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
  /** The execution input as JSON text; Step Functions leaves it out above 256 KiB. */
  input: z.optional(z.nullable(z.string())),
  error: z.optional(z.nullable(z.string())),
  cause: z.optional(z.nullable(z.string())),
});
export type ExecutionStatusChange = z.infer<typeof executionStatusChangeDetailSchema>;

/** A deployment execution that was stopped or timed out: its deployment ends ABORTED and frees its lock. */
export const deploymentExecutionStoppedPattern = {
  source: ['aws.states'],
  'detail-type': [EXECUTION_STATUS_CHANGE_DETAIL_TYPE],
  detail: {
    status: ['ABORTED', 'TIMED_OUT'],
    stateMachineArn: [{ suffix: `:stateMachine:${DEPLOYMENT_STATE_MACHINE_NAME}` }],
  },
} as const;

/** What the default bus delivers when an operator stops a deployment execution in the console. */
export const deploymentExecutionStoppedSample: BusEntry = {
  source: 'aws.states',
  detailType: EXECUTION_STATUS_CHANGE_DETAIL_TYPE,
  resources: ['arn:aws:states:us-east-1:123456789012:execution:flightplan-deployment:orders-api-prod-v1-4-0-3f2a9c1d'],
  detail: {
    executionArn:
      'arn:aws:states:us-east-1:123456789012:execution:flightplan-deployment:orders-api-prod-v1-4-0-3f2a9c1d',
    stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${DEPLOYMENT_STATE_MACHINE_NAME}`,
    name: 'orders-api-prod-v1-4-0-3f2a9c1d',
    status: 'ABORTED',
    input: JSON.stringify({ deploymentId: 'orders-api-prod-v1.4.0-3f2a9c1d' }),
    error: 'Stopped',
    cause: 'Stopped from the console',
  },
};
