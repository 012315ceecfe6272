import { alarmStateChangeDetailSchema } from '../events/alarm-state-changed.js';
import { awsCatalogStore, awsWaitStore, awsWorkflows } from './adapters/aws/factories.js';
import type { Dependencies } from './ports/index.js';
import { busEventHandler, onAws } from './runtime.js';
import { onAlarm } from './use-cases/watch-alarms.js';

/** Target of the AlarmFired rule: fails the bake of the alarmed service and region. */
export const createHandler = (deps: Pick<Dependencies, 'catalog' | 'waits' | 'workflows'>) =>
  busEventHandler(
    (detail) => alarmStateChangeDetailSchema.parse(detail),
    (detail, event) => onAlarm(deps, { alarmName: detail.alarmName, state: detail.state.value, region: event.region }),
  );

export const handler = onAws(() => createHandler({ catalog: awsCatalogStore(), waits: awsWaitStore(), workflows: awsWorkflows() }));
