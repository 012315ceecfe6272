import * as z from '../functions/zod.js';
import { defineEvent } from './envelope.js';
import { environmentSchema } from '../functions/domain/catalog.js';
import { requesterSchema } from '../functions/domain/identity.js';

export const DEPLOYMENT_REQUESTED_DETAIL_TYPE = 'Deployment Requested';

export const deploymentTriggerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('pull_request'),
    repository: z.string(),
    pullRequest: z.number().check(z.int(), z.positive()),
    action: z.enum(['labeled', 'synchronize']),
    /**
     * The pull request's `updated_at` as the delivery carried it. Deliveries arrive in any order
     * (a redelivery by hand comes whenever somebody clicks), so a request older than one an HML
     * deployment of the same pull request already came from is stale.
     */
    updatedAt: z.optional(z.iso.datetime({ offset: true })),
  }),
  z.object({ kind: z.literal('release'), repository: z.string(), tag: z.string() }),
  z.object({ kind: z.literal('manual') }),
]);

/**
 * Somebody or something asked for a version of a service to run in an environment.
 * `requestKey` identifies the request (a pull request delivery's signed body, a release, an API
 * idempotency key) and makes the deployment id, and so the execution name, deterministic.
 */
export const deploymentRequested = defineEvent({
  source: 'flightplan.github',
  detailType: DEPLOYMENT_REQUESTED_DETAIL_TYPE,
  dataSchema: z.object({
    service: z.string(),
    environment: environmentSchema,
    version: z.string(),
    imageTag: z.string(),
    gitSha: z.optional(z.string()),
    requestedBy: z.string(),
    /** Everyone who asked: a release's author and publisher, a label's sender, a portal caller. None may approve it. */
    requesters: z._default(z.array(requesterSchema), []),
    requestKey: z.string(),
    trigger: deploymentTriggerSchema,
    /** `rollback`: back to a known-good version, health gates kept, bakes skipped. */
    mode: z._default(z.enum(['standard', 'rollback']), 'standard'),
    /** Deploying a version that was rolled back needs a recorded reason. */
    override: z.optional(
      z.object({
        by: z.string(),
        reason: z.string().check(z.minLength(1)),
        overridesFreeze: z._default(z.boolean(), false),
      }),
    ),
  }),
});

/** The same request asked for through the portal's API (POST /v1/deployments): its own source. */
export const portalDeploymentRequested = {
  source: 'flightplan.portal',
  detailType: DEPLOYMENT_REQUESTED_DETAIL_TYPE,
} as const;

/** Every deployment request, from GitHub or the portal, starts a deployment. */
export const startDeploymentPattern = {
  source: [deploymentRequested.source, portalDeploymentRequested.source],
  'detail-type': [DEPLOYMENT_REQUESTED_DETAIL_TYPE],
} as const;

export const deploymentRequestedSample = deploymentRequested.build(
  {
    mode: 'standard',
    service: 'orders-api',
    environment: 'hml',
    version: '3f2a9c1',
    imageTag: '3f2a9c1d4e5b6a7980f1e2d3c4b5a69788796a5b',
    gitSha: '3f2a9c1d4e5b6a7980f1e2d3c4b5a69788796a5b',
    requestedBy: 'alice',
    requesters: [{ personId: 'alice', github: { login: 'alice' }, name: 'alice', bot: false }],
    requestKey: 'pull_request:9b74c9897bac770ffc029102a200c5de8b1e2f6f1f4a3c9e6b8d7a5f4e3c2b1a',
    trigger: {
      kind: 'pull_request',
      repository: 'acme/orders-api',
      pullRequest: 42,
      action: 'labeled',
      updatedAt: '2026-12-03T10:00:00Z',
    },
  },
  { correlationId: '72d3162e-cc78-11e3-81ab-4c9367dc0958', causationId: 'github:72d3162e-cc78-11e3-81ab-4c9367dc0958' },
);
