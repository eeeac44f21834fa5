import type { RoiFigures, RoiReport, SiteAttribution } from '../../../shared/schemas/roi.ts';
import { minorDigitsOf } from '../metrics/parse-metric-rows.ts';

/** A CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Minor units as a decimal amount in major units, exactly (1234 cents → "12.34"). */
export function minorToDecimal(amount: number, digits: number): string {
  if (digits === 0) return String(amount);
  const negative = amount < 0;
  const text = String(Math.abs(amount)).padStart(digits + 1, '0');
  return `${negative ? '-' : ''}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

const COLUMNS = [
  'key',
  'label',
  'currency',
  'revenue',
  'value',
  'cost',
  'profit',
  'roi',
  'roi_percent',
  'sessions',
  'conversions',
  'clicks',
  'impressions',
  'position',
];

const ATTRIBUTION_COLUMNS = [
  'site_id',
  'site',
  'revenue_share',
  'conversion_value',
  'gross_margin',
  'baseline_from',
  'baseline_to',
];

const PERCENT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, useGrouping: false });

/**
 * ROI as the dashboard shows it: a percentage with at most one decimal (rounded as the web app's
 * number formatting rounds, half away from zero), "—" when undefined (no cost).
 */
export function roiPercent(roi: number | null): string {
  return roi === null || !Number.isFinite(roi) ? '—' : `${PERCENT.format(roi * 100)}%`;
}

/** A site and the attribution its value was credited under. */
export interface SiteAttributionUsed {
  id: string;
  name: string;
  attribution: SiteAttribution;
}

/**
 * The report as CSV (docs/roi-model.md): one row per series item, a `total` row, a `comparison`
 * row when the report has one, then after an empty line the attribution each site's value was
 * credited under. Money is in decimal major units (as CSV imports take it) beside the currency;
 * `roi` is the ratio (empty when undefined), `roi_percent` the ROI as the dashboard shows it;
 * an empty position means none.
 */
export function reportToCsv(report: RoiReport, sites: SiteAttributionUsed[]): string {
  const digits = minorDigitsOf(report.currency);
  const line = (key: string, label: string, f: RoiFigures) =>
    [
      cell(key),
      cell(label),
      report.currency,
      minorToDecimal(f.revenue, digits),
      minorToDecimal(f.value, digits),
      minorToDecimal(f.cost, digits),
      minorToDecimal(f.profit, digits),
      f.roi === null ? '' : String(Math.round(f.roi * 1e6) / 1e6),
      roiPercent(f.roi),
      String(f.sessions),
      String(f.conversions),
      String(f.clicks),
      String(f.impressions),
      f.position === null ? '' : String(f.position),
    ].join(',');
  const { coverage: _coverage, ...totals } = report.totals;
  const lines = [
    COLUMNS.join(','),
    ...report.series.map((s) => line(s.key, s.label, s)),
    line('total', 'Total', totals),
  ];
  if (report.comparison) {
    const { coverage: _c, ...earlier } = report.comparison.totals;
    lines.push(line('comparison', `${report.comparison.from} – ${report.comparison.to}`, earlier));
  }
  lines.push('', ATTRIBUTION_COLUMNS.join(','));
  for (const site of sites) {
    const a = site.attribution;
    lines.push(
      [
        site.id,
        cell(site.name),
        String(a.revenueShare),
        minorToDecimal(a.conversionValue, digits),
        String(a.grossMargin),
        a.baseline?.from ?? '',
        a.baseline?.to ?? '',
      ].join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
