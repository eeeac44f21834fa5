import { addDays, isoWeekKey } from '../reports/periods.ts';

/** When a schedule sends: weekly on a weekday (1 Monday … 7 Sunday) or monthly on a day (1–28), at an hour. */
export interface ScheduleTiming {
  frequency: 'weekly' | 'monthly';
  dayOfWeek: number | null;
  dayOfMonth: number | null;
  hour: number;
}

/** One occurrence of a schedule: its key (`2026-W49`, `2026-12`) and the instant it is due. */
export interface Occurrence {
  periodKey: string;
  at: Date;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and hour of an instant in a time zone (UTC for an unknown zone). */
export function localParts(at: Date, timeZone: string): { date: string; hour: number } {
  let format = formats.get(timeZone);
  if (!format) {
    const options: Intl.DateTimeFormatOptions = {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    };
    try {
      format = new Intl.DateTimeFormat('en-CA', { ...options, timeZone });
    } catch {
      format = new Intl.DateTimeFormat('en-CA', { ...options, timeZone: 'UTC' });
    }
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { date: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) % 24 };
}

const offsetFormats = new Map<string, Intl.DateTimeFormat | null>();

/** A time zone's offset from UTC at an instant, in ms (0 for an unknown zone). */
function zoneOffsetMs(ms: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    } catch {
      format = null;
    }
    offsetFormats.set(timeZone, format);
  }
  if (!format) return 0;
  const name = format.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-])(\d{1,2}):?(\d{2})?/.exec(name ?? '');
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return (m[1] === '+' ? 1 : -1) * minutes * 60_000;
}

/**
 * The instant a wall-clock hour of a date starts in a time zone. An hour skipped by a
 * daylight-saving change is the first instant after the gap; a repeated one is either.
 */
export function zonedHourToInstant(date: string, hour: number, timeZone: string): Date {
  const wall = Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(5, 7)) - 1,
    Number(date.slice(8, 10)),
    hour,
  );
  // The offset at the wall time read as UTC is close; the offset at that first guess is exact
  // (outside a gap).
  return new Date(wall - zoneOffsetMs(wall - zoneOffsetMs(wall, timeZone), timeZone));
}

/** ISO weekday of a date: 1 Monday … 7 Sunday. */
const isoWeekday = (date: string) => ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;

/** The key of the occurrence period a local date falls in. */
export function periodKeyOf(timing: Pick<ScheduleTiming, 'frequency'>, localDate: string): string {
  return timing.frequency === 'weekly' ? isoWeekKey(localDate) : localDate.slice(0, 7);
}

/** The occurrence date of the week or month that holds `localDate`. */
function occurrenceDateIn(timing: ScheduleTiming, localDate: string): string {
  if (timing.frequency === 'weekly') {
    return addDays(localDate, (timing.dayOfWeek ?? 1) - isoWeekday(localDate));
  }
  return `${localDate.slice(0, 7)}-${String(timing.dayOfMonth ?? 1).padStart(2, '0')}`;
}

/** The occurrence of the period one step before or after the one holding `localDate`. */
function shifted(timing: ScheduleTiming, localDate: string, step: -1 | 1): string {
  if (timing.frequency === 'weekly') return addDays(localDate, 7 * step);
  const y = Number(localDate.slice(0, 4));
  const m = Number(localDate.slice(5, 7)) - 1 + step;
  const year = y + Math.floor(m / 12);
  const month = ((m % 12) + 12) % 12;
  return `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

const occurrenceOn = (timing: ScheduleTiming, date: string, timeZone: string): Occurrence => ({
  periodKey: periodKeyOf(timing, date),
  at: zonedHourToInstant(date, timing.hour, timeZone),
});

/** The latest occurrence due at or before `now`, in the tenant's time zone. */
export function latestOccurrence(timing: ScheduleTiming, now: Date, timeZone: string): Occurrence {
  const today = localParts(now, timeZone).date;
  const current = occurrenceOn(timing, occurrenceDateIn(timing, today), timeZone);
  if (current.at <= now) return current;
  return occurrenceOn(timing, occurrenceDateIn(timing, shifted(timing, today, -1)), timeZone);
}

/** The first occurrence due after `now`. */
export function nextOccurrence(timing: ScheduleTiming, now: Date, timeZone: string): Occurrence {
  const today = localParts(now, timeZone).date;
  const current = occurrenceOn(timing, occurrenceDateIn(timing, today), timeZone);
  if (current.at > now) return current;
  return occurrenceOn(timing, occurrenceDateIn(timing, shifted(timing, today, 1)), timeZone);
}

/** The key of the occurrence period `now` is in ("send now" delivers this one). */
export function currentPeriodKey(timing: ScheduleTiming, now: Date, timeZone: string): string {
  return periodKeyOf(timing, localParts(now, timeZone).date);
}
