import { z } from 'zod';

/**
 * CloudWatch's own "CloudWatch Alarm State Change" event, forwarded from every workload region
 * to the home bus (the event keeps the region it came from).
 */
export const ALARM_STATE_CHANGE_DETAIL_TYPE = 'CloudWatch Alarm State Change';

export const alarmStateChangeDetailSchema = z.object({
  alarmName: z.string().min(1),
  state: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']), reason: z.string().optional(), timestamp: z.string().optional() }),
});

/** An alarm going to ALARM fails the bake of that service and region at once. */
export const alarmFiredPattern = {
  source: ['aws.cloudwatch'],
  'detail-type': [ALARM_STATE_CHANGE_DETAIL_TYPE],
  detail: { state: { value: ['ALARM'] } },
} as const;
