import * as z from '../zod.js';
import { approvalSchema, approvalStatusSchema } from '../domain/approval.js';
import { environmentSchema, serviceSchema } from '../domain/catalog.js';
import { deploymentEventSchema, deploymentSchema, deploymentStatusSchema } from '../domain/deployment.js';
import { provisioningRequestSchema, provisioningStatusSchema } from '../domain/provisioning.js';

/**
 * The portal API's request and response shapes. The handler parses with them and the OpenAPI
 * document is generated from them, so the two cannot disagree.
 */
const pageQuery = {
  cursor: z
    .optional(z.string().check(z.minLength(1)))
    .check(z.describe('The nextCursor of the previous page of the same list, with the same filters')),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25),
};

export const deploymentsQuerySchema = z.strictObject({
  service: z.optional(z.string().check(z.minLength(1))),
  environment: z.optional(environmentSchema),
  status: z.optional(deploymentStatusSchema),
  ...pageQuery,
});
export const approvalsQuerySchema = z.strictObject({
  status: z._default(approvalStatusSchema, 'PENDING'),
  ...pageQuery,
});
export const provisioningQuerySchema = z.strictObject({
  service: z.optional(z.string().check(z.minLength(1))),
  environment: z.optional(environmentSchema),
  status: z.optional(provisioningStatusSchema),
  ...pageQuery,
});
export const servicesQuerySchema = z.strictObject({
  team: z.optional(z.string().check(z.minLength(1))),
  status: z.optional(serviceSchema.shape.status.def.innerType),
  ...pageQuery,
});

export const voteBodySchema = z.strictObject({
  decision: z.enum(['APPROVE', 'REJECT']),
  comment: z.optional(z.string().check(z.maxLength(1000))),
});

export const overrideBodySchema = z.strictObject({
  reason: z.string().check(z.trim(), z.minLength(10, 'say why, in at least 10 characters'), z.maxLength(1000)),
});

export const acceptedSchema = z.object({ id: z.string(), status: z.string(), href: z.string() });
export const deploymentAcceptedSchema = z.object({
  deploymentId: z.string(),
  status: z.literal('QUEUED'),
  href: z.string(),
});

const pageOf = <Item extends z.ZodMiniType>(item: Item) =>
  z.object({ items: z.array(item), nextCursor: z.nullable(z.string()) });

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

export const deploymentDetailSchema = z.extend(deploymentViewSchema, {
  approvals: z.array(approvalSchema),
  events: z.array(deploymentEventSchema),
  /** A QUEUED deployment's lock holder or, in PROD, the head of the queue; null otherwise. */
  waitingBehind: z.nullable(z.string()),
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
      freeze: z.nullable(
        z.object({
          name: z.string(),
          from: z.string(),
          to: z.string(),
          timeZone: z.string(),
          endsAt: z.string(),
          overridden: z.boolean(),
        }),
      ),
    }),
  ),
  approval: z.nullable(
    z.object({
      policy: z.string(),
      description: z.string(),
      quorum: z.number(),
      eligibleTeams: z.array(z.string()),
      mayApproveNow: z.array(z.string()),
    }),
  ),
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
      version: z.nullable(z.string()),
      digest: z.nullable(z.string()),
      deploymentId: z.nullable(z.string()),
      since: z.nullable(z.string()),
      inFlight: z.nullable(
        z.object({ deploymentId: z.string(), version: z.string(), status: z.string(), waveStatus: z.string() }),
      ),
    }),
  ),
});
export const deploymentExecutionSchema = z.object({
  executionArn: z.string(),
  name: z.string(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startDate: z.string(),
  stopDate: z.optional(z.string()),
  output: z.optional(z.unknown()),
  error: z.optional(z.string()),
  cause: z.optional(z.string()),
  /** GetExecutionHistory events, oldest first, each with its `…EventDetails`. */
  events: z.array(
    z.looseObject({ id: z.number(), previousEventId: z.optional(z.number()), timestamp: z.string(), type: z.string() }),
  ),
});
export const approvalDetailSchema = z.extend(approvalSchema, { events: z.array(deploymentEventSchema) });
export const provisioningDetailSchema = z.extend(provisioningRequestViewSchema, {
  approval: z.nullable(approvalSchema),
  events: z.array(deploymentEventSchema),
});
export const serviceDetailSchema = z.extend(serviceViewSchema, { events: z.array(deploymentEventSchema) });

export const problemSchema = z.object({
  type: z
    .string()
    .check(
      z.describe(
        'A stable URI, https://flightplan.dev/problems/{validation|unauthorized|forbidden|not-found|conflict|rollback-not-known-good|payload-too-large|internal}',
      ),
    ),
  title: z.string(),
  status: z.number().check(z.int()),
  detail: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  knownGoodVersions: z
    .optional(z.array(z.string()))
    .check(z.describe('rollback-not-known-good: the versions a rollback may return to, newest first')),
});
