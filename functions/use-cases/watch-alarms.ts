import { serviceForAlarm } from '../domain/health-gate.js';
import type { CatalogStore, WaitStore, WorkflowEngine } from '../ports/index.js';
import { failBake } from './bake.js';

/**
 * A CloudWatch alarm went to ALARM (forwarded from its region to the home bus): the bake of that
 * service in that region, in any environment, fails at once.
 */
export async function failBakeOnAlarm(
  deps: { catalog: CatalogStore; waits: WaitStore; workflows: WorkflowEngine },
  alarm: { alarmName: string; region: string; state: string },
): Promise<{ service?: string; bakesFailed: number }> {
  if (alarm.state !== 'ALARM') return { bakesFailed: 0 };
  const service = serviceForAlarm(alarm.alarmName, (await deps.catalog.listServices()).map((candidate) => candidate.name));
  if (!service) return { bakesFailed: 0 };
  let bakesFailed = 0;
  for (const environment of ['prod', 'hml'] as const) {
    if (await failBake(deps, service, environment, alarm.region, `alarm ${alarm.alarmName} went to ALARM in ${alarm.region}`)) bakesFailed += 1;
  }
  return { service, bakesFailed };
}
