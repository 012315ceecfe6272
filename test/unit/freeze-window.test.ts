import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { freezeWindowsFrom } from '../../functions/config-freeze-windows.js';
import { activeFreeze, freezeWindowSchema, type FreezeWindow } from '../../functions/domain/freeze-window.js';

const saturdayInBrazil: FreezeWindow = {
  name: 'weekend',
  regions: ['sa-east-1'],
  timeZone: 'America/Sao_Paulo',
  days: ['SAT'],
  from: '00:00',
  to: '23:59',
};
const nightlyInVirginia: FreezeWindow = {
  name: 'batch',
  regions: ['us-east-1'],
  timeZone: 'America/New_York',
  days: ['MON', 'TUE', 'WED', 'THU', 'FRI'],
  from: '22:00',
  to: '02:00',
};

describe('activeFreeze', () => {
  it.each([
    ['Saturday 10:00 in São Paulo (13:00 UTC)', '2026-11-28T13:00:00Z', 'sa-east-1', 'weekend'],
    ['Saturday 01:00 UTC is still Friday 22:00 in São Paulo', '2026-11-28T01:00:00Z', 'sa-east-1', undefined],
    ['Sunday 02:30 UTC is Saturday 23:30 in São Paulo', '2026-11-29T02:30:00Z', 'sa-east-1', 'weekend'],
    ['another region is not frozen', '2026-11-28T13:00:00Z', 'us-east-1', undefined],
    ['Monday 23:00 in New York (04:00 UTC Tuesday)', '2026-11-24T04:00:00Z', 'us-east-1', 'batch'],
    ['Tuesday 01:30 in New York belongs to Monday night', '2026-11-24T06:30:00Z', 'us-east-1', 'batch'],
    ['Saturday 01:00 in New York follows Friday night', '2026-11-28T06:00:00Z', 'us-east-1', 'batch'],
    ['Sunday 01:00 in New York: Saturday night is not listed', '2026-11-29T06:00:00Z', 'us-east-1', undefined],
    ['Tuesday 02:00 in New York: the window has ended', '2026-11-24T07:00:00Z', 'us-east-1', undefined],
  ])('%s', (_name, now, region, expected) => {
    expect(activeFreeze([saturdayInBrazil, nightlyInVirginia], region, new Date(now))?.name).toBe(expected);
  });

  it('covers whole days with 24:00', () => {
    const allDay: FreezeWindow = { ...saturdayInBrazil, to: '24:00' };
    expect(activeFreeze([allDay], 'sa-east-1', new Date('2026-11-29T02:59:30Z'))?.name).toBe('weekend');
    expect(activeFreeze([allDay], 'sa-east-1', new Date('2026-11-29T03:00:00Z'))).toBeUndefined();
  });

  it('refuses unknown time zones and malformed times', () => {
    expect(freezeWindowSchema.safeParse({ ...saturdayInBrazil, timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(freezeWindowSchema.safeParse({ ...saturdayInBrazil, from: '24:00' }).success).toBe(false);
  });
});

describe('validating a time zone', () => {
  const RealDateTimeFormat = Intl.DateTimeFormat;
  afterEach(() => {
    Intl.DateTimeFormat = RealDateTimeFormat;
  });

  const formatterAccepts = (zone: string): boolean => {
    try {
      new RealDateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  };

  it('builds no formatter for canonical zone names: the first one loads ICU date data at cold start', () => {
    let formatters = 0;
    Intl.DateTimeFormat = new Proxy(RealDateTimeFormat, {
      construct(target, args: ConstructorParameters<typeof Intl.DateTimeFormat>) {
        formatters += 1;
        return new target(...args);
      },
    });
    const windows = freezeWindowsFrom({
      FLIGHTPLAN_FREEZE_WINDOWS: JSON.stringify([saturdayInBrazil, nightlyInVirginia]),
    });
    expect(windows.map((window) => window.timeZone)).toEqual(['America/Sao_Paulo', 'America/New_York']);
    expect(formatters).toBe(0);
  });

  it('accepts exactly the zones a formatter accepts: canonical names, aliases, UTC, any casing', () => {
    const zones = fc.oneof(
      fc.constantFrom(...Intl.supportedValuesOf('timeZone')),
      fc.constantFrom('UTC', 'Etc/UTC', 'GMT', 'Etc/GMT+3', 'Asia/Calcutta', 'US/Eastern', 'america/sao_paulo'),
      fc.constantFrom('Mars/Olympus', '', ' ', 'America/Sao_Paulo ', 'Europe/'),
      fc.string(),
    );
    fc.assert(
      fc.property(zones, (zone) => {
        const parsed = freezeWindowSchema.safeParse({ ...saturdayInBrazil, timeZone: zone });
        expect(parsed.success).toBe(formatterAccepts(zone));
      }),
      { numRuns: 500 },
    );
  });
});
