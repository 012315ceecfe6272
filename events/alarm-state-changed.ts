import * as z from '../functions/zod.js';
import type { BusEntry } from './envelope.js';

/**
 * CloudWatch's own "CloudWatch Alarm State Change" event, forwarded from every workload region
 * to the home bus (the event keeps the region it came from).
 */
export const ALARM_STATE_CHANGE_DETAIL_TYPE = 'CloudWatch Alarm State Change';

export const alarmStateChangeDetailSchema = z.object({
  alarmName: z.string().check(z.minLength(1)),
  state: z.object({
    value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    reason: z.optional(z.string()),
    timestamp: z.optional(z.string()),
  }),
});

/** An alarm going to ALARM fails the bake of that service and region at once. */
export const alarmFiredPattern = {
  source: ['aws.cloudwatch'],
  'detail-type': [ALARM_STATE_CHANGE_DETAIL_TYPE],
  detail: { state: { value: ['ALARM'] } },
} as const;

/** What the forwarding stack delivers from a workload region. */
export const alarmStateChangedSample: BusEntry = {
  source: 'aws.cloudwatch',
  detailType: ALARM_STATE_CHANGE_DETAIL_TYPE,
  region: 'sa-east-1',
  resources: ['arn:aws:cloudwatch:sa-east-1:222222222222:alarm:orders-api-prod-5xx'],
  detail: {
    alarmName: 'orders-api-prod-5xx',
    state: { value: 'ALARM', reason: 'Threshold crossed', timestamp: '2026-12-01T12:00:00.000Z' },
  },
};
