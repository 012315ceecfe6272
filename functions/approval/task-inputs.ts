import * as z from '../zod.js';
import { approvalPolicyNameSchema, approvalSchema } from '../domain/approval.js';
import { requesterSchema } from '../domain/identity.js';

/**
 * Inputs the approval workflow passes its tasks; the ASL Parameters build exactly these. Apart from
 * the other workflows' inputs, which would otherwise build the approval and identity schemas in
 * every step's cold start.
 */
export const approvalRequestInput = z.object({
  approvalId: z.string().check(z.minLength(1)),
  policy: approvalPolicyNameSchema,
  team: z.string().check(z.minLength(1)),
  requestedBy: z.string().check(z.minLength(1)),
  requesters: z._default(z.array(requesterSchema), []),
  terms: z.optional(
    z.object({
      quorum: z.number().check(z.int(), z.positive()),
      eligibleTeams: z.array(z.string()),
      mustInclude: z.optional(z.string()),
      note: z.optional(z.string()),
    }),
  ),
  subject: approvalSchema.shape.subject,
  channel: z.string().check(z.minLength(1)),
});
export const approvalWaitInput = z.object({
  approvalId: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1)),
});
export const approvalReminderInput = z.object({
  approvalId: z.string().check(z.minLength(1)),
  kind: z.enum(['half-time', 'escalation']),
});
export const approvalIdInput = z.object({ approvalId: z.string().check(z.minLength(1)) });
