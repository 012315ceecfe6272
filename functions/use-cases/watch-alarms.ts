import { alarmTargetOf } from '../domain/health-gate.js';
import type { CatalogStore, WaitStore, WorkflowEngine } from '../ports/index.js';
import { failBake } from './bake.js';

/**
 * A CloudWatch alarm went to ALARM (forwarded from its region to the home bus): the bake of that
 * service, in the environment its name says (`{service}-{environment}-…`, as the health gates read
 * alarms) and in that region, fails at once. An HML alarm never fails a PROD bake.
 */
export async function failBakeOnAlarm(
  deps: { catalog: CatalogStore; waits: WaitStore; workflows: WorkflowEngine },
  alarm: { alarmName: string; region: string; state: string },
): Promise<{ service?: string; environment?: string; bakesFailed: number }> {
  if (alarm.state !== 'ALARM') return { bakesFailed: 0 };
  const target = alarmTargetOf(
    alarm.alarmName,
    (await deps.catalog.listServices()).map((candidate) => candidate.name),
  );
  if (!target) return { bakesFailed: 0 };
  const failed = await failBake(
    deps,
    target.service,
    target.environment,
    alarm.region,
    `alarm ${alarm.alarmName} went to ALARM in ${alarm.region}`,
  );
  return { ...target, bakesFailed: failed ? 1 : 0 };
}
