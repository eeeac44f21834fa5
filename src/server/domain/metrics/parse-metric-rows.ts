import { parse as parseCsv, CsvError } from 'csv-parse';
import { AppError, type FieldError } from '../../http/errors.ts';
import { MAX_IMPORT_ROWS } from '../../../shared/schemas/roi.ts';

/** The metric columns an import may name. */
export const METRIC_FIELDS = [
  'sessions',
  'conversions',
  'revenue',
  'clicks',
  'impressions',
  'position',
] as const;
export type MetricField = (typeof METRIC_FIELDS)[number];

/** Parsed rows, column-wise (what the bulk upsert binds). `null`: the row does not name that field. */
export interface MetricColumns {
  dates: string[];
  sessions: (number | null)[];
  conversions: (number | null)[];
  revenue: (number | null)[];
  clicks: (number | null)[];
  impressions: (number | null)[];
  position: (number | null)[];
}

export interface ParsedImport {
  columns: MetricColumns;
  errors: FieldError[];
}

const MAX_MONEY = 1e13;
const INT_RE = /^\d{1,16}$/;
const DECIMAL_RE = /^(\d{1,16})(?:\.(\d+))?$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True for an existing calendar date `YYYY-MM-DD` between 1900 and 2999 (hot path: no allocation). */
export function isCalendarDate(value: string): boolean {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return false;
  const digit = (i: number) => {
    const c = value.charCodeAt(i) - 48;
    return c >= 0 && c <= 9 ? c : NaN;
  };
  const y = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const m = digit(5) * 10 + digit(6);
  const d = digit(8) * 10 + digit(9);
  if (!(y >= 1900 && y <= 2999 && m >= 1 && m <= 12 && d >= 1)) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (m === 2 && leap ? 29 : MONTH_DAYS[m - 1]!);
}

/**
 * Converts a decimal amount in major units (`1234.56`) to minor units exactly, by string
 * arithmetic: no floating point touches it. More decimals than the currency has is an error.
 */
export function decimalToMinorUnits(text: string, minorDigits: number): number | string {
  const m = DECIMAL_RE.exec(text);
  if (!m) return `must be a decimal amount such as 1234.56`;
  const fraction = m[2] ?? '';
  if (fraction.length > minorDigits) return `has more than ${minorDigits} decimals`;
  const digits = (m[1]! + fraction.padEnd(minorDigits, '0')).replace(/^0+(?=\d)/, '');
  if (digits.length > 16) return 'is too large';
  const value = Number(digits);
  return value > MAX_MONEY ? 'is too large' : value;
}

/** The number of decimals of a currency's minor unit (USD 2, JPY 0, BHD 3). */
export function minorDigitsOf(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

function emptyColumns(): MetricColumns {
  return {
    dates: [],
    sessions: [],
    conversions: [],
    revenue: [],
    clicks: [],
    impressions: [],
    position: [],
  };
}

const tooManyRows = () =>
  new AppError(
    'payload_too_large',
    `An import holds at most ${MAX_IMPORT_ROWS.toLocaleString('en')} rows; split the file`,
  );

/** Remembers each date's first row so a repeated date is reported. */
function duplicateTracker() {
  const seen = new Map<string, string>();
  return (date: string, where: string): string | null => {
    const first = seen.get(date);
    if (first !== undefined) return `date ${date} is already on ${first}`;
    seen.set(date, where);
    return null;
  };
}

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses `{rows: [...]}` (revenue in minor units). Every bad field of every row is reported as
 * `rows.<index>.<field>`; unknown fields are errors (a typo must not import silently).
 */
export function parseJsonImport(body: Buffer): ParsedImport {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('malformed', 'The request body is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { rows?: unknown }).rows)) {
    throw new AppError('validation', 'Send {"rows": [...]}', {
      errors: [{ path: 'rows', message: 'must be an array' }],
    });
  }
  const rows = (doc as { rows: unknown[] }).rows;
  if (rows.length > MAX_IMPORT_ROWS) throw tooManyRows();
  const columns = emptyColumns();
  const errors: FieldError[] = [];
  const duplicate = duplicateTracker();
  const allowed = new Set<string>(['date', ...METRIC_FIELDS]);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const path = `rows.${i}`;
    if (!row || typeof row !== 'object' || Array.isArray(row)) {
      errors.push({ path, message: 'must be an object' });
      continue;
    }
    const r = row as Record<string, unknown>;
    const before = errors.length;
    for (const key of Object.keys(r))
      if (!allowed.has(key))
        errors.push({ path: `${path}.${key}`, message: 'is not a metric field' });
    const date = r.date;
    if (typeof date !== 'string' || !isCalendarDate(date)) {
      errors.push({ path: `${path}.date`, message: 'must be a date YYYY-MM-DD' });
    } else {
      const dup = duplicate(date, path);
      if (dup) errors.push({ path: `${path}.date`, message: dup });
    }
    const values: Record<MetricField, number | null> = {
      sessions: null,
      conversions: null,
      revenue: null,
      clicks: null,
      impressions: null,
      position: null,
    };
    for (const field of METRIC_FIELDS) {
      const v = r[field];
      if (v === undefined || v === null) continue;
      if (field === 'position') {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1e6) {
          errors.push({ path: `${path}.position`, message: 'must be a number from 0' });
        } else values.position = v;
      } else if (field === 'revenue') {
        if (!isCount(v) || v > MAX_MONEY) {
          errors.push({
            path: `${path}.revenue`,
            message: 'must be a non-negative integer in minor units (cents)',
          });
        } else values.revenue = v;
      } else if (!isCount(v)) {
        errors.push({ path: `${path}.${field}`, message: 'must be a non-negative integer' });
      } else values[field] = v;
    }
    if (errors.length === before) push(columns, date as string, values);
  }
  return { columns, errors };
}

function push(columns: MetricColumns, date: string, values: Record<MetricField, number | null>) {
  columns.dates.push(date);
  for (const field of METRIC_FIELDS) columns[field].push(values[field]);
}

/** Header names accepted for each column, lowercased (a Search Console export's included). */
const HEADER_ALIASES: Record<string, 'date' | MetricField | 'ignore'> = {
  date: 'date',
  day: 'date',
  sessions: 'sessions',
  conversions: 'conversions',
  revenue: 'revenue',
  clicks: 'clicks',
  impressions: 'impressions',
  position: 'position',
  // Search Console's click-through rate ("3.5%") is clicks / impressions: derived, not stored.
  ctr: 'ignore',
};

/**
 * Parses CSV with a header row, streaming through csv-parse: rows are validated as they are parsed
 * (revenue in decimal major units, converted exactly) and counted, stopping at the row limit
 * (413). Errors name the line (`line 7`); the header is line 1.
 */
export async function parseCsvImport(body: Buffer, minorDigits: number): Promise<ParsedImport> {
  const columns = emptyColumns();
  const errors: FieldError[] = [];
  const duplicate = duplicateTracker();
  let header: ('date' | MetricField | 'ignore')[] | null = null;
  let dateAt = -1;
  let count = 0;

  const onRecord = (record: string[], line: number): void => {
    const path = `line ${line}`;
    if (!header) {
      const names = record.map((h) => h.trim().toLowerCase());
      const mapped = names.map((n) => HEADER_ALIASES[n]);
      const bad = names.filter((_n, i) => mapped[i] === undefined);
      const dup = names.filter((n, i) => names.indexOf(n) !== i);
      if (bad.length || dup.length || !mapped.includes('date')) {
        const problems = [
          ...(bad.length ? [`unknown column ${bad.map((b) => `"${b}"`).join(', ')}`] : []),
          ...(dup.length ? [`repeated column ${dup.join(', ')}`] : []),
          ...(!mapped.includes('date') ? ['no date column'] : []),
        ];
        throw new AppError('validation', 'The CSV header row is not valid', {
          errors: [
            { path, message: `${problems.join('; ')}. Columns: date, ${METRIC_FIELDS.join(', ')}` },
          ],
        });
      }
      header = mapped as ('date' | MetricField | 'ignore')[];
      dateAt = header.indexOf('date');
      return;
    }
    if (++count > MAX_IMPORT_ROWS) throw tooManyRows();
    if (record.length !== header.length) {
      errors.push({
        path,
        message: `has ${record.length} fields; the header has ${header.length}`,
      });
      return;
    }
    const before = errors.length;
    const date = record[dateAt]!.trim();
    if (!isCalendarDate(date))
      errors.push({ path, message: `date: "${date}" is not a date YYYY-MM-DD` });
    else {
      const dup = duplicate(date, path);
      if (dup) errors.push({ path, message: `date: ${dup}` });
    }
    const values: Record<MetricField, number | null> = {
      sessions: null,
      conversions: null,
      revenue: null,
      clicks: null,
      impressions: null,
      position: null,
    };
    for (let i = 0; i < header.length; i++) {
      const field = header[i]!;
      if (field === 'date' || field === 'ignore') continue;
      const text = record[i]!.trim();
      if (text === '') continue;
      if (field === 'revenue') {
        const cents = decimalToMinorUnits(text, minorDigits);
        if (typeof cents === 'string')
          errors.push({ path, message: `revenue: "${text}" ${cents}` });
        else values.revenue = cents;
      } else if (field === 'position') {
        const n = Number(text);
        if (!DECIMAL_RE.test(text) || n > 1e6)
          errors.push({ path, message: `position: "${text}" must be a number from 0` });
        else values.position = n;
      } else if (!INT_RE.test(text) || !Number.isSafeInteger(Number(text))) {
        errors.push({ path, message: `${field}: "${text}" must be a non-negative integer` });
      } else values[field] = Number(text);
    }
    if (errors.length === before) push(columns, date, values);
  };

  const parser = parseCsv({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    on_record: (record: string[], context) => {
      onRecord(record, context.lines);
      return null;
    },
  });
  try {
    parser.end(body);
    // Records are consumed by on_record; draining the stream drives the parse.
    for await (const _ of parser) {
      // nothing is emitted
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new AppError('validation', 'The CSV could not be parsed', {
        errors: [{ path: line ? `line ${line}` : 'body', message: error.message }],
      });
    }
    throw error;
  }
  if (!header) {
    throw new AppError('validation', 'The CSV is empty', {
      errors: [{ path: 'line 1', message: 'needs a header row' }],
    });
  }
  return { columns, errors };
}
