import { randomUUID } from 'node:crypto';
import * as z from '../functions/zod.js';

/** Tracing metadata every Flightplan event carries, so one request can be followed across the bus. */
export const eventMetaSchema = z.object({
  version: z.literal(1),
  correlationId: z.string().check(z.minLength(1)),
  causationId: z.string().check(z.minLength(1)),
});
export type EventMeta = z.infer<typeof eventMetaSchema>;

/** The PutEvents entry shape shared by the EventBridge adapter and the local bus. */
export interface BusEntry {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources?: string[];
  /** Only events forwarded from another region say so; ours are published in the home region. */
  region?: string;
}

/**
 * What identifies a kind of event on the bus: its source and detail-type. A function declares the
 * ones it publishes, and IAM lets it publish only those (`events:source`, `events:detail-type`).
 */
export interface EventType {
  readonly source: string;
  readonly detailType: string;
}

/** The envelope EventBridge delivers to rule targets. */
export const busEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});
export type BusEvent = z.infer<typeof busEventSchema>;

export interface EventDefinition<Data extends z.ZodMiniObject> {
  source: string;
  detailType: string;
  dataSchema: Data;
  detailSchema: z.ZodMiniObject;
  /** Fills the envelope: the correlation id follows the request, the causation id names what caused this event. */
  build(data: z.input<Data>, trace: { correlationId?: string; causationId: string }): BusEntry;
  /** Parses the `detail` of a delivered event, throwing a ZodError when it breaks the contract. */
  parse(detail: unknown): z.infer<Data> & { meta: EventMeta };
}

export function defineEvent<Data extends z.ZodMiniObject>(options: {
  source: string;
  detailType: string;
  dataSchema: Data;
}): EventDefinition<Data> {
  const detailSchema = z.extend(options.dataSchema, { meta: eventMetaSchema });
  return {
    ...options,
    detailSchema,
    build(data, trace) {
      const meta: EventMeta = {
        version: 1,
        correlationId: trace.correlationId ?? randomUUID(),
        causationId: trace.causationId,
      };
      return {
        source: options.source,
        detailType: options.detailType,
        detail: { ...options.dataSchema.parse(data), meta },
      };
    },
    parse(detail) {
      return detailSchema.parse(detail) as z.infer<Data> & { meta: EventMeta };
    },
  };
}
