import * as z from 'zod';
import { approvalSchema, approvalStatusSchema } from '../domain/approval.js';
import { environmentSchema, serviceSchema } from '../domain/catalog.js';
import { deploymentEventSchema, deploymentSchema, deploymentStatusSchema } from '../domain/deployment.js';
import { provisioningRequestSchema, provisioningStatusSchema } from '../domain/provisioning.js';

/**
 * The portal API's request and response shapes. The handler parses with them and the OpenAPI
 * document is generated from them, so the two cannot disagree.
 */
const pageQuery = {
  cursor: z.string().min(1).optional().describe('The nextCursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
};

export const deploymentsQuerySchema = z.strictObject({
  service: z.string().min(1).optional(),
  environment: environmentSchema.optional(),
  status: deploymentStatusSchema.optional(),
  ...pageQuery,
});
export const approvalsQuerySchema = z.strictObject({ status: approvalStatusSchema.default('PENDING'), ...pageQuery });
export const provisioningQuerySchema = z.strictObject({
  service: z.string().min(1).optional(),
  environment: environmentSchema.optional(),
  status: provisioningStatusSchema.optional(),
  ...pageQuery,
});
export const servicesQuerySchema = z.strictObject({
  team: z.string().min(1).optional(),
  status: serviceSchema.shape.status.unwrap().optional(),
  ...pageQuery,
});

export const voteBodySchema = z.strictObject({
  decision: z.enum(['APPROVE', 'REJECT']),
  comment: z.string().max(1000).optional(),
});

export const overrideBodySchema = z.strictObject({
  reason: z.string().trim().min(10, 'say why, in at least 10 characters').max(1000),
});

export const acceptedSchema = z.object({ id: z.string(), status: z.string(), href: z.string() });
export const deploymentAcceptedSchema = z.object({
  deploymentId: z.string(),
  status: z.literal('QUEUED'),
  href: z.string(),
});

const pageOf = <Item extends z.ZodType>(item: Item) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const { revision: _deploymentRevision, ...deploymentFields } = deploymentSchema.shape;
const { revision: _serviceRevision, ...serviceFields } = serviceSchema.shape;
const { revision: _requestRevision, fingerprint: _fingerprint, ...requestFields } = provisioningRequestSchema.shape;

export const deploymentViewSchema = z.object(deploymentFields);
export const serviceViewSchema = z.object(serviceFields);
export const provisioningRequestViewSchema = z.object(requestFields);

export const deploymentPageSchema = pageOf(deploymentViewSchema);
export const approvalPageSchema = pageOf(approvalSchema);
export const provisioningPageSchema = pageOf(provisioningRequestViewSchema);
export const servicePageSchema = pageOf(serviceViewSchema);

export const deploymentDetailSchema = deploymentViewSchema.extend({
  approvals: z.array(approvalSchema),
  events: z.array(deploymentEventSchema),
  /** A QUEUED deployment's lock holder or, in PROD, the head of the queue; null otherwise. */
  waitingBehind: z.string().nullable(),
});

const sloSchema = z.object({
  availability: z.number(),
  maxErrorRate: z.number(),
  maxP99Ms: z.number(),
  minBakeRequests: z.number(),
});
export const deploymentPlanSchema = z.object({
  service: z.string(),
  environment: z.string(),
  version: z.string(),
  mode: z.string(),
  tier: z.string(),
  waves: z.array(
    z.object({
      region: z.string(),
      cluster: z.string(),
      bakeSeconds: z.number(),
      gate: z.object({ slo: sloSchema, checks: z.array(z.string()) }),
      estimatedStartAt: z.string(),
      freeze: z
        .object({
          name: z.string(),
          from: z.string(),
          to: z.string(),
          timeZone: z.string(),
          endsAt: z.string(),
          overridden: z.boolean(),
        })
        .nullable(),
    }),
  ),
  approval: z
    .object({
      policy: z.string(),
      description: z.string(),
      quorum: z.number(),
      eligibleTeams: z.array(z.string()),
      mayApproveNow: z.array(z.string()),
    })
    .nullable(),
  estimatedDurationSeconds: z.number(),
  estimatedCostUsd: z.number(),
  writes: z.literal('nothing'),
});

export const liveVersionsSchema = z.object({
  service: z.string(),
  regions: z.array(
    z.object({
      environment: z.string(),
      region: z.string(),
      version: z.string().nullable(),
      digest: z.string().nullable(),
      deploymentId: z.string().nullable(),
      since: z.string().nullable(),
      inFlight: z
        .object({ deploymentId: z.string(), version: z.string(), status: z.string(), waveStatus: z.string() })
        .nullable(),
    }),
  ),
});
export const deploymentExecutionSchema = z.object({
  executionArn: z.string(),
  name: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startDate: z.string(),
  stopDate: z.string().optional(),
  output: z.unknown().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  /** GetExecutionHistory events, oldest first, each with its `…EventDetails`. */
  events: z.array(
    z.looseObject({ id: z.number(), previousEventId: z.number().optional(), timestamp: z.string(), type: z.string() }),
  ),
});
export const approvalDetailSchema = approvalSchema.extend({ events: z.array(deploymentEventSchema) });
export const provisioningDetailSchema = provisioningRequestViewSchema.extend({
  approval: approvalSchema.nullable(),
  events: z.array(deploymentEventSchema),
});
export const serviceDetailSchema = serviceViewSchema.extend({ events: z.array(deploymentEventSchema) });

export const problemSchema = z.object({
  type: z
    .string()
    .describe(
      'A stable URI, https://flightplan.dev/problems/{validation|unauthorized|forbidden|not-found|conflict|rollback-not-known-good|payload-too-large|internal}',
    ),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  knownGoodVersions: z
    .array(z.string())
    .optional()
    .describe('rollback-not-known-good: the versions a rollback may return to, newest first'),
});
