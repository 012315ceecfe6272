import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { busEventSchema, type BusEvent } from '../events/envelope.js';
import { logger } from './http/http-handler.js';

/**
 * The AWS composition root of one function: dependencies are built once per container, on the
 * first invocation, so importing a function module (as the local runtime does) creates no AWS client.
 */
export function onAws<Event, Result>(build: () => (event: Event, context: Context) => Promise<Result>): (event: Event, context: Context) => Promise<Result> {
  let handler: ((event: Event, context: Context) => Promise<Result>) | undefined;
  return (event, context) => {
    handler ??= build();
    return handler(event, context);
  };
}

/** An EventBridge rule target: validates the envelope and the detail against the event's schema. */
export function busEventHandler<Detail>(
  parseDetail: (detail: unknown) => Detail,
  handle: (detail: Detail, event: BusEvent, context: Context) => Promise<unknown>,
): (event: unknown, context: Context) => Promise<undefined> {
  return middy<unknown, undefined>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (raw, context) => {
      const event = busEventSchema.parse(raw);
      const detail = parseDetail(event.detail);
      const meta = event.detail['meta'];
      const correlationId = typeof meta === 'object' && meta !== null && 'correlationId' in meta ? String(meta.correlationId) : event.id;
      logger.appendKeys({ eventId: event.id, detailType: event['detail-type'], correlationId });
      const result = await handle(detail, event, context);
      logger.info('Event handled', { result: result as Record<string, unknown> });
      return undefined;
    });
}

/**
 * A Step Functions task: input validated by its schema; errors keep their class name, which is
 * what the workflow's Retry and Catch match on.
 */
export function workflowTask<Input, Output>(
  inputSchema: z.ZodType<Input>,
  handle: (input: Input) => Promise<Output>,
): (event: unknown, context: Context) => Promise<Output> {
  return middy<unknown, Output>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (raw) => {
      const input = inputSchema.parse(raw);
      return handle(input);
    });
}
