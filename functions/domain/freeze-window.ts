import * as z from '../zod.js';

const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const clock = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/u, 'HH:MM, 24-hour'));
/** `24:00` ends a window at midnight, so one window can cover whole days. */
const endClock = z.string().check(z.regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/u, 'HH:MM, 24-hour, or 24:00'));

let canonicalZones: ReadonlySet<string> | undefined;

/**
 * Whether a formatter accepts `zone`. Functions validate their freeze windows at cold start, and
 * the first `Intl.DateTimeFormat` of a process loads ICU's date data, about 15 ms, which most
 * portal requests never need: the canonical names are listed without it. Aliases (Asia/Calcutta),
 * `UTC` and other casings are not listed, and only those build a formatter to find out.
 */
function isTimeZone(zone: string): boolean {
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonicalZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A recurring window in which PROD deploys into some regions wait. Times are the region's local
 * time (`timeZone`, IANA), so "no deploys on Saturday" means Saturday where the users are.
 * `from` after `to` spans midnight.
 */
export const freezeWindowSchema = z.object({
  name: z.string().check(z.minLength(1)),
  regions: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  timeZone: z.string().check(z.refine(isTimeZone, 'an IANA time zone such as America/Sao_Paulo')),
  days: z._default(z.array(z.enum(DAYS)).check(z.minLength(1)), [...DAYS]),
  from: clock,
  to: endClock,
});
export type FreezeWindow = z.infer<typeof freezeWindowSchema>;

export const freezeWindowsSchema = z.array(freezeWindowSchema);

function localTime(now: Date, timeZone: string): { day: (typeof DAYS)[number]; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const value = (type: string) => parts.find((part) => part.type === type)?.value ?? '';
  const day = value('weekday').toUpperCase().slice(0, 3) as (typeof DAYS)[number];
  return { day, minutes: Number(value('hour')) * 60 + Number(value('minute')) };
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The window freezing `region` at `now`, if any. */
export function activeFreeze(windows: readonly FreezeWindow[], region: string, now: Date): FreezeWindow | undefined {
  return windows.find((window) => {
    if (!window.regions.includes(region) && !window.regions.includes('*')) return false;
    const { day, minutes } = localTime(now, window.timeZone);
    const from = toMinutes(window.from);
    const to = toMinutes(window.to);
    if (from <= to) return window.days.includes(day) && minutes >= from && minutes < to;
    // Spanning midnight: the evening belongs to the listed day, the early morning to the day after.
    const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7] ?? day;
    return (window.days.includes(day) && minutes >= from) || (window.days.includes(yesterday) && minutes < to);
  });
}
