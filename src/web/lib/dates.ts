/** Calendar dates `YYYY-MM-DD` handled as UTC days, so no time zone shifts a day. */

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

/** The dates of a preset period ending today. */
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

const monthYear = () =>
  new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
const monthDay = () =>
  new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/**
 * A short axis label for a report series key in the browser's locale: `2026-01` → "Jan 2026",
 * `2026-01-05` → "Jan 5" (en-US; "Jan. 2026" and "5. Jan." in German); weeks as is.
 */
export function periodLabel(key: string): string {
  const month = /^(\d{4})-(\d{2})$/.exec(key);
  if (month) return monthYear().format(parseIsoDate(`${key}-01`));
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (day) return monthDay().format(parseIsoDate(key));
  return key;
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
