/** Calendar dates `YYYY-MM-DD` handled as UTC days, so no time zone shifts a day. */

import type { PeriodPreset as ReportPresetName } from '../../shared/schemas/report-period.ts';

export type { ReportPresetName };

export function toIsoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function parseIsoDate(s: string): Date {
  return new Date(`${s}T00:00:00Z`);
}

export function addDays(date: string, days: number): string {
  const d = parseIsoDate(date);
  d.setUTCDate(d.getUTCDate() + days);
  return toIsoDate(d);
}

/** Days from `from` to `to`, both included. */
export function daysInclusive(from: string, to: string): number {
  return Math.round((parseIsoDate(to).getTime() - parseIsoDate(from).getTime()) / 86_400_000) + 1;
}

export function today(now: Date = new Date()): string {
  return toIsoDate(now);
}

export interface Period {
  from: string;
  to: string;
}

export type PeriodPreset = '30d' | '90d' | '12m' | 'ytd' | 'custom';

/** The dates of a rolling period ending today (older views; the dashboard uses `presetRange`). */
export function presetPeriod(
  preset: Exclude<PeriodPreset, 'custom'>,
  now: Date = new Date(),
): Period {
  const to = today(now);
  switch (preset) {
    case '30d':
      return { from: addDays(to, -29), to };
    case '90d':
      return { from: addDays(to, -89), to };
    case '12m':
      return { from: addDays(to, -364), to };
    case 'ytd':
      return { from: `${to.slice(0, 4)}-01-01`, to };
  }
}

/** The period of the same length that ends the day before `period` starts. */
export function previousPeriod(period: Period): Period {
  const length = daysInclusive(period.from, period.to);
  const to = addDays(period.from, -1);
  return { from: addDays(to, -(length - 1)), to };
}

/** The report grouping that gives a readable number of points for a period. */
export function groupingFor(period: Period): 'day' | 'week' | 'month' {
  const days = daysInclusive(period.from, period.to);
  if (days <= 62) return 'day';
  if (days <= 190) return 'week';
  return 'month';
}

/** Today's date (`YYYY-MM-DD`) in an IANA time zone; the browser's own zone when it is unknown. */
export function todayIn(timeZone: string | undefined, now: Date = new Date()): string {
  const format = (tz: string | undefined) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(now);
  try {
    return format(timeZone);
  } catch {
    return format(undefined);
  }
}

/** First day of the date's month. */
export const monthStart = (date: string) => `${date.slice(0, 7)}-01`;

/** First day of the month before the date's month. */
function previousMonthStart(date: string): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  return m === 1 ? `${y - 1}-12-01` : `${y}-${String(m - 1).padStart(2, '0')}-01`;
}

/** The named periods the dashboard offers, in the words a person reads. */
export const PERIOD_PRESETS: { value: ReportPresetName; label: string }[] = [
  { value: 'last_12_months', label: 'Last 12 full months' },
  { value: 'month_to_date', label: 'This month so far' },
  { value: 'previous_month', label: 'Last month' },
  { value: 'year_to_date', label: 'This year so far' },
  { value: 'last_30_days', label: 'Last 30 days' },
  { value: 'last_90_days', label: 'Last 90 days' },
];

/**
 * The dates of a named period on `today` (the tenant's date), exactly as the server resolves it
 * (src/server/domain/reports/period-presets.ts): the 30 or 90 whole days ending yesterday; the 12
 * whole months before the current one; this month and this year so far; the whole previous month.
 * A shared link, a report e-mail and the dashboard thus agree on what a period means.
 */
export function presetRange(preset: ReportPresetName, today: string): Period {
  const yesterday = addDays(today, -1);
  const thisMonth = monthStart(today);
  switch (preset) {
    case 'last_30_days':
      return { from: addDays(today, -30), to: yesterday };
    case 'last_90_days':
      return { from: addDays(today, -90), to: yesterday };
    case 'last_12_months':
      return {
        from: `${Number(thisMonth.slice(0, 4)) - 1}${thisMonth.slice(4)}`,
        to: addDays(thisMonth, -1),
      };
    case 'month_to_date':
      return { from: thisMonth, to: today };
    case 'previous_month':
      return { from: previousMonthStart(today), to: addDays(thisMonth, -1) };
    case 'year_to_date':
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

/** The same dates a year earlier (29 February becomes the 28th). */
export function yearBefore(period: Period): Period {
  const back = (d: string) => {
    const y = String(Number(d.slice(0, 4)) - 1).padStart(4, '0');
    const md = d.slice(5) === '02-29' ? '02-28' : d.slice(5);
    return `${y}-${md}`;
  };
  return { from: back(period.from), to: back(period.to) };
}

/** Monday of ISO week `week` of ISO year `year`. */
export function isoWeekMonday(year: number, week: number): string {
  // 4 January is always in week 1.
  const jan4 = Date.UTC(year, 0, 4);
  const dow = (new Date(jan4).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return toIsoDate(new Date(jan4 - dow * 86_400_000 + (week - 1) * 7 * 86_400_000));
}

const shortDay = (locale?: string) =>
  new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/**
 * A label a person reads for a report series key, in the reader's locale: a month `2026-01` →
 * "Jan 2026", a day `2026-01-05` → "Jan 5", an ISO week `2026-W02` → its days "Jan 5 – 11"
 * (cut to `within`, the report's dates, when the range starts or ends mid-week).
 */
export function seriesLabel(key: string, within?: Period, locale?: string): string {
  const month = /^(\d{4})-(\d{2})$/.exec(key);
  if (month)
    return new Intl.DateTimeFormat(locale, {
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    }).format(parseIsoDate(`${key}-01`));
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return shortDay(locale).format(parseIsoDate(key));
  const week = /^(\d{4})-W(\d{2})$/.exec(key);
  if (week) {
    let from = isoWeekMonday(Number(week[1]), Number(week[2]));
    let to = addDays(from, 6);
    if (within && within.from > from) from = within.from;
    if (within && within.to < to) to = within.to;
    if (from === to) return shortDay(locale).format(parseIsoDate(from));
    return shortDay(locale).formatRange(parseIsoDate(from), parseIsoDate(to));
  }
  return key;
}

/** Two calendar dates as one range in the reader's locale: "Dec 1, 2025 – Nov 30, 2026". */
export function formatDateRange(from: string, to: string, locale?: string): string {
  const f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  return from === to
    ? f.format(parseIsoDate(from))
    : f.formatRange(parseIsoDate(from), parseIsoDate(to));
}

/** A short label for a report series key; `seriesLabel` with the reader's locale. */
export function periodLabel(key: string): string {
  return seriesLabel(key);
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = iso.length === 10 ? parseIsoDate(iso) : new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleDateString(undefined, {
        dateStyle: 'medium',
        timeZone: iso.length === 10 ? 'UTC' : undefined,
      });
}
