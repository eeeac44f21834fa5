import { z } from 'zod';
import { CalendarDate, dateRange } from './common.js';

/**
 * The named periods a shared link, a scheduled e-mail or the dashboard asks for; resolved in the
 * tenant's time zone by `resolvePeriod` (src/server/domain/reports/period-presets.ts).
 */
export const PeriodPreset = z.enum([
  'last_30_days',
  'last_90_days',
  'last_12_months',
  'month_to_date',
  'previous_month',
  'year_to_date',
]);
export type PeriodPreset = z.infer<typeof PeriodPreset>;

/** A preset, or fixed dates (inclusive, at most 10 years). */
export const ReportPeriod = z.union([
  z.object({ preset: PeriodPreset }).strict(),
  z.object({ from: CalendarDate, to: CalendarDate }).strict().superRefine(dateRange('from', 'to')),
]);
export type ReportPeriod = z.infer<typeof ReportPeriod>;
