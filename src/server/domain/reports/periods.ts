/** Calendar arithmetic on `YYYY-MM-DD` strings (UTC-based, so no time zone or DST can shift a day). */

export const DAY_MS = 86_400_000;

/** Milliseconds since the epoch at the start (UTC) of a `YYYY-MM-DD` date. */
export const toMs = (date: string) =>
  Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
const fromMs = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `date` plus `days` (negative to go back). */
export function addDays(date: string, days: number): string {
  return fromMs(toMs(date) + days * DAY_MS);
}

/** Whole days from `from` to `to` (0 for the same day). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toMs(to) - toMs(from)) / DAY_MS);
}

const dayFormats = new Map<
  string,
  { format: Intl.DateTimeFormat | null; minute: number; day: string }
>();
const MINUTE_MS = 60_000;

/**
 * Today's date in an IANA time zone (UTC for an unknown zone). Formatters are built once per zone,
 * and the date is kept for the rest of the minute: every zone's offset is a whole number of
 * minutes, so a day never starts mid-minute, and ICU formatting cost more than a cached report.
 */
export function todayIn(timeZone: string, now = new Date()): string {
  const minute = Math.floor(now.getTime() / MINUTE_MS);
  let entry = dayFormats.get(timeZone);
  if (entry === undefined) {
    let format: Intl.DateTimeFormat | null;
    try {
      format = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
    } catch {
      format = null;
    }
    entry = { format, minute: NaN, day: '' };
    dayFormats.set(timeZone, entry);
  }
  if (entry.minute !== minute) {
    entry.day = entry.format ? entry.format.format(now) : now.toISOString().slice(0, 10);
    entry.minute = minute;
  }
  return entry.day;
}

/** First day of the date's month. */
export const monthStart = (date: string) => `${date.slice(0, 7)}-01`;

/** First day of the month after the date's month. */
export function nextMonthStart(date: string): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

/** ISO 8601 week key `2026-W02` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeekKey(date: string): string {
  const ms = toMs(date);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  const thursday = new Date(ms + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The Monday of the date's ISO week. */
export function isoWeekMonday(date: string): string {
  const weekday = (new Date(toMs(date)).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

const MONTH_LABEL = new Intl.DateTimeFormat('en-US', {
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});

export interface Period {
  key: string;
  label: string;
}

/** Every day, ISO week or month that meets [from, to], in order (the report's zero-filled keys). */
export function periodsBetween(from: string, to: string, unit: 'day' | 'week' | 'month'): Period[] {
  const periods: Period[] = [];
  if (unit === 'day') {
    for (let d = from; d <= to; d = addDays(d, 1)) periods.push({ key: d, label: d });
  } else if (unit === 'week') {
    for (let monday = isoWeekMonday(from); monday <= to; monday = addDays(monday, 7)) {
      periods.push({ key: isoWeekKey(monday), label: `${monday} – ${addDays(monday, 6)}` });
    }
  } else {
    for (let m = monthStart(from); m <= to; m = nextMonthStart(m)) {
      periods.push({ key: m.slice(0, 7), label: MONTH_LABEL.format(new Date(toMs(m))) });
    }
  }
  return periods;
}
