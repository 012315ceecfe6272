import * as z from 'zod';
import { approvalPolicyNameSchema, approvalSchema } from './domain/approval.js';
import { requesterSchema } from './domain/identity.js';

/** Inputs the deployment workflow passes its tasks; the ASL Parameters build exactly these. */
export const deploymentTaskInput = z.object({ deploymentId: z.string().min(1) });
/** The lock records which execution holds it, so a stopped execution's lock can be taken. */
export const lockTaskInput = deploymentTaskInput.extend({ executionArn: z.string().min(1).optional() });
export const waveTaskInput = deploymentTaskInput.extend({ region: z.string().min(1) });
export const waitTaskInput = waveTaskInput.extend({ taskToken: z.string().min(1) });
export const approvalRequestInput = z.object({
  approvalId: z.string().min(1),
  policy: approvalPolicyNameSchema,
  team: z.string().min(1),
  requestedBy: z.string().min(1),
  requesters: z.array(requesterSchema).default([]),
  terms: z
    .object({
      quorum: z.number().int().positive(),
      eligibleTeams: z.array(z.string()),
      mustInclude: z.string().optional(),
      note: z.string().optional(),
    })
    .optional(),
  subject: approvalSchema.shape.subject,
  channel: z.string().min(1),
});
export const approvalWaitInput = z.object({ approvalId: z.string().min(1), taskToken: z.string().min(1) });
export const approvalReminderInput = z.object({
  approvalId: z.string().min(1),
  kind: z.enum(['half-time', 'escalation']),
});
export const approvalIdInput = z.object({ approvalId: z.string().min(1) });
export const approvalOutcomeInput = deploymentTaskInput.extend({
  status: z.string().min(1),
  reason: z.string().nullable().optional(),
});
export const bakeDecisionInput = waveTaskInput.extend({
  status: z.string().min(1),
  reason: z.string().nullable().optional(),
});
export const rollbackTaskInput = deploymentTaskInput.extend({
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).default({}),
});

/** Inputs the provisioning and service-creation workflows pass their tasks. */
export const provisioningTaskInput = z.object({ requestId: z.string().min(1) });
export const provisioningWaitInput = provisioningTaskInput.extend({ taskToken: z.string().min(1) });
export const provisioningApprovalInput = provisioningTaskInput.extend({
  status: z.string().min(1),
  reason: z.string().nullable().optional(),
});
export const workflowFailureSchema = z
  .object({ Error: z.string().optional(), Cause: z.string().optional() })
  .default({});
export const provisioningFailureInput = provisioningTaskInput.extend({ failure: workflowFailureSchema });
export const serviceTaskInput = z.object({ service: z.string().min(1) });
export const serviceFailureInput = serviceTaskInput.extend({ failure: workflowFailureSchema });
