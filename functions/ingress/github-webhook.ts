import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { verify } from '@octokit/webhooks-methods';
import { createHash } from 'node:crypto';
import * as z from '../zod.js';
import { catalogFileChanged } from '../../events/catalog-file-changed.js';
import { deploymentRequested } from '../../events/deployment-requested.js';
import type { BusEntry } from '../../events/envelope.js';
import { terraformApplyCompleted, terraformPullRequestClosed } from '../../events/terraform-changed.js';
import { httpFunction } from '../declaration.js';
import { UnauthorizedError, ValidationError } from '../errors.js';
import { header, httpHandler, json, logger, parseJson, rawBody } from '../http/http-handler.js';
import { acceptGithubDelivery } from '../use-cases/accept-github-delivery.js';

/** GitHub redelivers for up to a few days; a week covers manual redeliveries too. */
const DELIVERY_MEMORY_SECONDS = 7 * 24 * 3600;

const deliveryIdSchema = z.string().check(z.minLength(1), z.maxLength(100));

/**
 * POST /webhooks/github: verify the signature over the raw body, decide, then publish once per
 * X-GitHub-Delivery. Nothing is written for a refused or ignored delivery.
 */
export const declaration = httpFunction({
  description: 'POST /webhooks/github: verify, dedupe, publish',
  ports: ['catalog', 'bus', 'githubWebhookSecret', 'idempotency', 'selfService'],
  use: {
    readsOnly: true,
    publishes: [deploymentRequested, catalogFileChanged, terraformPullRequestClosed, terraformApplyCompleted],
  },
  createHandler: (deps) => {
    const idempotency = new IdempotencyConfig({
      eventKeyJmesPath: 'deliveryId',
      expiresAfterSeconds: DELIVERY_MEMORY_SECONDS,
    });
    const publishOnce = makeIdempotent(
      async (delivery: { deliveryId: string; entries: BusEntry[]; summary: string }) => {
        await deps.bus.publish(delivery.entries);
        return { status: 'accepted', deliveryId: delivery.deliveryId, summary: delivery.summary };
      },
      {
        persistenceStore: deps.idempotency,
        config: idempotency,
        keyPrefix: 'github-delivery',
      },
    );

    return httpHandler(async (event, context) => {
      idempotency.registerLambdaContext(context);
      const body = rawBody(event);
      const signature = header(event, 'x-hub-signature-256');
      if (!signature || !(await verify(await deps.githubWebhookSecret.value(), body, signature).catch(() => false))) {
        throw new UnauthorizedError('X-Hub-Signature-256 is missing or does not match the body');
      }
      const eventName = header(event, 'x-github-event');
      const deliveryId = deliveryIdSchema.safeParse(header(event, 'x-github-delivery'));
      if (!eventName || !deliveryId.success) {
        throw new ValidationError('X-GitHub-Event and X-GitHub-Delivery headers are required', [
          { path: 'headers', message: 'missing X-GitHub-Event or X-GitHub-Delivery' },
        ]);
      }
      const decision = await acceptGithubDelivery(deps, {
        eventName,
        deliveryId: deliveryId.data,
        bodySha256: createHash('sha256').update(body).digest('hex'),
        payload: parseJson(body),
      });
      if (decision.kind === 'ignored') {
        logger.info('GitHub delivery ignored', { deliveryId: deliveryId.data, eventName, reason: decision.reason });
        return json(202, { status: 'ignored', deliveryId: deliveryId.data, reason: decision.reason });
      }
      try {
        return json(
          202,
          await publishOnce({ deliveryId: deliveryId.data, entries: decision.entries, summary: decision.summary }),
        );
      } catch (error) {
        if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
        return json(202, {
          status: 'ignored',
          deliveryId: deliveryId.data,
          reason: 'the same delivery is being processed',
        });
      }
    });
  },
});
