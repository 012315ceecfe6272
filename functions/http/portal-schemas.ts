import { z } from 'zod';
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

export const deploymentsQuerySchema = z.object({ service: z.string().min(1).optional(), environment: environmentSchema.optional(), status: deploymentStatusSchema.optional(), ...pageQuery });
export const approvalsQuerySchema = z.object({ status: approvalStatusSchema.default('PENDING'), ...pageQuery });
export const provisioningQuerySchema = z.object({ service: z.string().min(1).optional(), environment: environmentSchema.optional(), status: provisioningStatusSchema.optional(), ...pageQuery });
export const servicesQuerySchema = z.object({ team: z.string().min(1).optional(), status: serviceSchema.shape.status.unwrap().optional(), ...pageQuery });

export const voteBodySchema = z.object({ decision: z.enum(['APPROVE', 'REJECT']), comment: z.string().max(1000).optional() });

export const acceptedSchema = z.object({ id: z.string(), status: z.string(), href: z.string() });
export const deploymentAcceptedSchema = z.object({ deploymentId: z.string(), status: z.literal('QUEUED'), href: z.string() });

const pageOf = <Item extends z.ZodType>(item: Item) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

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

export const deploymentDetailSchema = deploymentViewSchema.extend({ approvals: z.array(approvalSchema), events: z.array(deploymentEventSchema) });
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
  events: z.array(z.looseObject({ id: z.number(), previousEventId: z.number().optional(), timestamp: z.string(), type: z.string() })),
});
export const approvalDetailSchema = approvalSchema.extend({ events: z.array(deploymentEventSchema) });
export const provisioningDetailSchema = provisioningRequestViewSchema.extend({ approval: approvalSchema.nullable(), events: z.array(deploymentEventSchema) });
export const serviceDetailSchema = serviceViewSchema.extend({ events: z.array(deploymentEventSchema) });

export const problemSchema = z.object({
  type: z.string().describe('A stable URI, https://flightplan.dev/problems/{validation|unauthorized|forbidden|not-found|conflict|rollback-not-known-good|payload-too-large|internal}'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  knownGoodVersions: z.array(z.string()).optional().describe('rollback-not-known-good: the versions a rollback may return to, newest first'),
});
