import * as z from './zod.js';

/** Inputs the deployment workflow passes its tasks; the ASL Parameters build exactly these. */
export const deploymentTaskInput = z.object({ deploymentId: z.string().check(z.minLength(1)) });
/** The lock records which execution holds it, so a stopped execution's lock can be taken. */
export const lockTaskInput = z.extend(deploymentTaskInput, {
  executionArn: z.optional(z.string().check(z.minLength(1))),
});
export const waveTaskInput = z.extend(deploymentTaskInput, { region: z.string().check(z.minLength(1)) });
export const waitTaskInput = z.extend(waveTaskInput, { taskToken: z.string().check(z.minLength(1)) });
export const approvalOutcomeInput = z.extend(deploymentTaskInput, {
  status: z.string().check(z.minLength(1)),
  reason: z.optional(z.nullable(z.string())),
});
export const bakeDecisionInput = z.extend(waveTaskInput, {
  status: z.string().check(z.minLength(1)),
  reason: z.optional(z.nullable(z.string())),
});
export const rollbackTaskInput = z.extend(deploymentTaskInput, {
  failure: z._default(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }), {}),
});

/** Inputs the provisioning and service-creation workflows pass their tasks. */
export const provisioningTaskInput = z.object({ requestId: z.string().check(z.minLength(1)) });
export const provisioningWaitInput = z.extend(provisioningTaskInput, { taskToken: z.string().check(z.minLength(1)) });
export const provisioningApprovalInput = z.extend(provisioningTaskInput, {
  status: z.string().check(z.minLength(1)),
  reason: z.optional(z.nullable(z.string())),
});
export const workflowFailureSchema = z._default(
  z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
  {},
);
export const provisioningFailureInput = z.extend(provisioningTaskInput, { failure: workflowFailureSchema });
export const serviceTaskInput = z.object({ service: z.string().check(z.minLength(1)) });
export const serviceFailureInput = z.extend(serviceTaskInput, { failure: workflowFailureSchema });
