import { alarmStateChangeDetailSchema } from '../../events/alarm-state-changed.js';
import { busTarget } from '../declaration.js';
import { failBakeOnAlarm } from '../use-cases/watch-alarms.js';

export const declaration = busTarget({
  description: 'Target of the AlarmFired rule: fails the bake of the alarmed service and region',
  ports: ['catalog', 'waits', 'workflows', 'eventOrigins'],
  use: { workflows: { signals: ['deployment'] } },
  detail: (detail, event) => {
    const alarm = alarmStateChangeDetailSchema.parse(detail);
    return { alarmName: alarm.alarmName, state: alarm.state.value, region: event.region };
  },
  useCase: failBakeOnAlarm,
});
