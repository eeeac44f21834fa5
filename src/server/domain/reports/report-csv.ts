import type { RoiFigures, RoiReport } from '../../../shared/schemas/roi.ts';
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
  'cost',
  'profit',
  'roi',
  'sessions',
  'conversions',
  'clicks',
  'impressions',
  'position',
];

/**
 * The report as CSV: one row per series item, then a `total` row. Money is in decimal major units
 * (as CSV imports take it) beside the currency; an empty roi or position means null.
 */
export function reportToCsv(report: RoiReport): string {
  const digits = minorDigitsOf(report.currency);
  const line = (key: string, label: string, f: RoiFigures) =>
    [
      cell(key),
      cell(label),
      report.currency,
      minorToDecimal(f.revenue, digits),
      minorToDecimal(f.cost, digits),
      minorToDecimal(f.profit, digits),
      f.roi === null ? '' : String(Math.round(f.roi * 1e6) / 1e6),
      String(f.sessions),
      String(f.conversions),
      String(f.clicks),
      String(f.impressions),
      f.position === null ? '' : String(f.position),
    ].join(',');
  const lines = [
    COLUMNS.join(','),
    ...report.series.map((s) => line(s.key, s.label, s)),
    line('total', 'Total', report.totals),
  ];
  return lines.join('\r\n') + '\r\n';
}
