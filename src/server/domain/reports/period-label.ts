import type { PeriodPreset, ReportPeriod } from '../../../shared/schemas/report-period.ts';

const PRESET_NAMES: Record<PeriodPreset, string> = {
  last_30_days: 'Last 30 days',
  last_90_days: 'Last 90 days',
  last_12_months: 'Last 12 months',
  month_to_date: 'Month to date',
  previous_month: 'Previous month',
  year_to_date: 'Year to date',
};

/** How a report names its period: "Last 90 days (2026-09-07 to 2026-12-05)" or the dates. */
export function periodLabel(period: ReportPeriod | null, range: { from: string; to: string }) {
  const dates = `${range.from} to ${range.to}`;
  return period && 'preset' in period ? `${PRESET_NAMES[period.preset]} (${dates})` : dates;
}
