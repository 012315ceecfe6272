import * as z from '../functions/zod.js';
import { defineEvent } from './envelope.js';
import { environmentSchema } from '../functions/domain/catalog.js';

export const DEPLOYMENT_CHANGED_DETAIL_TYPE = 'Deployment Changed';

/** A deployment's stored state changed; `change` is the audit entry that explains why. */
export const deploymentChanged = defineEvent({
  source: 'flightplan.deployments',
  detailType: DEPLOYMENT_CHANGED_DETAIL_TYPE,
  dataSchema: z.object({
    deployment: z.object({
      id: z.string(),
      service: z.string(),
      team: z.string(),
      environment: environmentSchema,
      version: z.string(),
      gitSha: z.nullable(z.string()),
      status: z.string(),
      /** `rollback`: back to a known-good version; platform-team hears about every one. */
      mode: z._default(z.enum(['standard', 'rollback']), 'standard'),
      /** The stored revision this change produced: with the id, what makes a notification unique. */
      revision: z.optional(z.number().check(z.int(), z.nonnegative())),
      requestedBy: z.string(),
      repository: z.nullable(z.string()),
      waves: z.array(z.object({ region: z.string(), status: z.string() })),
    }),
    change: z.object({
      at: z.string(),
      actor: z.string(),
      action: z.string(),
      message: z.string(),
      region: z.optional(z.string()),
      toStatus: z.optional(z.string()),
    }),
  }),
});

/** Every change goes to the notifier, which decides what Slack and GitHub hear about. */
export const notifyDeploymentChangedPattern = {
  source: ['flightplan.deployments'],
  'detail-type': [DEPLOYMENT_CHANGED_DETAIL_TYPE],
} as const;

export const deploymentChangedSample = deploymentChanged.build(
  {
    deployment: {
      id: 'orders-api-prod-v1.4.0-3f2a9c1d',
      service: 'orders-api',
      team: 'payments',
      environment: 'prod',
      version: 'v1.4.0',
      gitSha: '3f2a9c1d4e5b6a7980f1e2d3c4b5a69788796a5b',
      status: 'IN_PROGRESS',
      requestedBy: 'alice',
      repository: 'acme/orders-api',
      waves: [{ region: 'us-east-1', status: 'DEPLOYING' }],
    },
    change: {
      at: '2026-12-01T12:00:00.000Z',
      actor: 'flightplan',
      action: 'wave.deploying',
      message: 'Deploying us-east-1',
      region: 'us-east-1',
    },
  },
  { correlationId: 'orders-api-prod-v1.4.0-3f2a9c1d', causationId: 'deployment:orders-api-prod-v1.4.0-3f2a9c1d:3' },
);
