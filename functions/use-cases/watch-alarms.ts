import { originRefusal, type EventOrigin, type EventOrigins } from '../domain/event-origin.js';
import { alarmTargetOf } from '../domain/health-gate.js';
import type { CatalogStore, WaitStore, WorkflowEngine } from '../ports/index.js';
import { failBake } from './bake.js';

/**
 * A CloudWatch alarm went to ALARM (forwarded from its region to the home bus): the bake of that
 * service, in the environment its name says (`{service}-{environment}-…`, as the health gates read
 * alarms) and in that region, fails at once. An HML alarm never fails a PROD bake: neither by its
 * name, nor, with workload accounts, by an alarm named for PROD in the HML account.
 */
export async function failBakeOnAlarm(
  deps: { catalog: CatalogStore; waits: WaitStore; workflows: WorkflowEngine; eventOrigins: EventOrigins },
  alarm: { alarmName: string; region: string; state: string },
  origin: EventOrigin,
): Promise<{ service?: string; environment?: string; bakesFailed: number; ignored?: string }> {
  if (alarm.state !== 'ALARM') return { bakesFailed: 0 };
  const target = alarmTargetOf(
    alarm.alarmName,
    (await deps.catalog.listServices()).map((candidate) => candidate.name),
  );
  if (!target) return { bakesFailed: 0 };
  const refusal = originRefusal(
    deps.eventOrigins,
    origin,
    { environment: target.environment, region: alarm.region },
    { relayedFromControlPlane: false },
  );
  if (refusal) return { ...target, bakesFailed: 0, ignored: `alarm ${alarm.alarmName} says nothing here: ${refusal}` };
  const failed = await failBake(
    deps,
    target.service,
    target.environment,
    alarm.region,
    `alarm ${alarm.alarmName} went to ALARM in ${alarm.region}`,
  );
  return { ...target, bakesFailed: failed ? 1 : 0 };
}
