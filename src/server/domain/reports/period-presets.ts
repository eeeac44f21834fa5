import type { PeriodPreset, ReportPeriod } from '../../../shared/schemas/report-period.js';
import { addDays, monthStart, todayIn } from './periods.js';

export interface DateRange {
  from: string;
  to: string;
}

/** First day of the month before the date's month. */
function previousMonthStart(date: string): string {
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  return m === 1 ? `${y - 1}-12-01` : `${y}-${String(m - 1).padStart(2, '0')}-01`;
}

/**
 * The dates of a preset on `today` (a `YYYY-MM-DD` in the tenant's time zone), as the contract
 * defines them: the 30 or 90 days ending yesterday; the 12 whole months before the current one;
 * month and year to date ending today; the whole previous month.
 */
export function presetRange(preset: PeriodPreset, today: string): DateRange {
  const yesterday = addDays(today, -1);
  const thisMonth = monthStart(today);
  switch (preset) {
    case 'last_30_days':
      return { from: addDays(today, -30), to: yesterday };
    case 'last_90_days':
      return { from: addDays(today, -90), to: yesterday };
    case 'last_12_months': {
      const from = `${Number(thisMonth.slice(0, 4)) - 1}${thisMonth.slice(4)}`;
      return { from, to: addDays(thisMonth, -1) };
    }
    case 'month_to_date':
      return { from: thisMonth, to: today };
    case 'previous_month':
      return { from: previousMonthStart(today), to: addDays(thisMonth, -1) };
    case 'year_to_date':
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

/** A stored period (preset or fixed dates) as dates, presets resolved in `timeZone` at `now`. */
export function resolvePeriod(period: ReportPeriod, timeZone: string, now = new Date()): DateRange {
  if ('preset' in period) return presetRange(period.preset, todayIn(timeZone, now));
  return { from: period.from, to: period.to };
}
