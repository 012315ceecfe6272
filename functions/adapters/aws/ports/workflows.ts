import { SFNClient } from '@aws-sdk/client-sfn';
import { STATE_MACHINE_ARN_VARIABLES, optionalEnv } from '../../../config.js';
import { SfnWorkflowEngine } from '../sfn-workflow-engine.js';
import { traced } from './tracer.js';

// Only the state machines this function starts or signals have their ARN in its environment.
export const workflows = () =>
  new SfnWorkflowEngine(
    traced(new SFNClient({})),
    Object.fromEntries(
      Object.entries(STATE_MACHINE_ARN_VARIABLES).map(([name, variable]) => [
        name,
        optionalEnv(variable, '') || undefined,
      ]),
    ),
  );
