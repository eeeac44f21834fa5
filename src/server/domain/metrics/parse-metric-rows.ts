import Papa from 'papaparse';
import { AppError, type FieldError } from '../../errors.ts';
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

/** The digit at `i` of `value`, or NaN. */
function digitAt(value: string, i: number): number {
  const c = value.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

/** True for an existing calendar date `YYYY-MM-DD` between 1900 and 2999 (hot path: no allocation). */
export function isCalendarDate(value: string): boolean {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return false;
  const y =
    digitAt(value, 0) * 1000 + digitAt(value, 1) * 100 + digitAt(value, 2) * 10 + digitAt(value, 3);
  const m = digitAt(value, 5) * 10 + digitAt(value, 6);
  const d = digitAt(value, 8) * 10 + digitAt(value, 9);
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

/**
 * Remembers where each date first appeared so a repeated date is reported; `where` is a row index
 * or a line number, turned into text only for the error.
 */
function duplicateTracker(describe: (where: number) => string) {
  const seen = new Map<string, number>();
  return (date: string, where: number): string | null => {
    const first = seen.get(date);
    if (first !== undefined) return `date ${date} is already on ${describe(first)}`;
    seen.set(date, where);
    return null;
  };
}

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

const isPosition = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1e6;

/** A JSON row's field: absent and null both mean "keep the stored value". */
const given = (v: unknown) => v !== undefined && v !== null;

/**
 * Parses `{rows: [...]}` (revenue in minor units). Every bad field of every row is reported as
 * `rows.<index>.<field>`; unknown fields are errors (a typo must not import silently). The rules
 * are those of the `MetricRow` schema (src/shared/schemas/roi.ts, which documents the body), checked
 * field by field without a per-row object: the test beside this file holds the two equal.
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
  const duplicate = duplicateTracker((i) => `rows.${i}`);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!row || typeof row !== 'object' || Array.isArray(row)) {
      errors.push({ path: `rows.${i}`, message: 'must be an object' });
      continue;
    }
    const r = row as Record<string, unknown>;
    const before = errors.length;
    for (const key in r) {
      if (!ROW_KEYS.has(key))
        errors.push({ path: `rows.${i}.${key}`, message: 'is not a metric field' });
    }
    const { date, sessions, conversions, revenue, clicks, impressions, position } = r;
    if (typeof date !== 'string' || !isCalendarDate(date)) {
      errors.push({ path: `rows.${i}.date`, message: 'must be a date YYYY-MM-DD' });
    } else {
      const dup = duplicate(date, i);
      if (dup) errors.push({ path: `rows.${i}.date`, message: dup });
    }
    if (given(sessions) && !isCount(sessions)) countError(errors, i, 'sessions');
    if (given(conversions) && !isCount(conversions)) countError(errors, i, 'conversions');
    if (given(revenue) && !(isCount(revenue) && revenue <= MAX_MONEY)) {
      errors.push({
        path: `rows.${i}.revenue`,
        message: 'must be a non-negative integer in minor units (cents)',
      });
    }
    if (given(clicks) && !isCount(clicks)) countError(errors, i, 'clicks');
    if (given(impressions) && !isCount(impressions)) countError(errors, i, 'impressions');
    if (given(position) && !isPosition(position)) {
      errors.push({ path: `rows.${i}.position`, message: 'must be a number from 0' });
    }
    if (errors.length === before) {
      // Every field is valid here: a given one is a number, the rest are null.
      columns.dates.push(date as string);
      columns.sessions.push((sessions ?? null) as number | null);
      columns.conversions.push((conversions ?? null) as number | null);
      columns.revenue.push((revenue ?? null) as number | null);
      columns.clicks.push((clicks ?? null) as number | null);
      columns.impressions.push((impressions ?? null) as number | null);
      columns.position.push((position ?? null) as number | null);
    }
  }
  return { columns, errors };
}

const ROW_KEYS: ReadonlySet<string> = new Set(['date', ...METRIC_FIELDS]);

function countError(errors: FieldError[], i: number, field: MetricField): void {
  errors.push({ path: `rows.${i}.${field}`, message: 'must be a non-negative integer' });
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

type CsvColumn = 'date' | MetricField | 'ignore';

/** The columns a header row names, or the 400 that says what is wrong with it. */
function readHeader(record: string[]): CsvColumn[] {
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
        {
          path: 'line 1',
          message: `${problems.join('; ')}. Columns: date, ${METRIC_FIELDS.join(', ')}`,
        },
      ],
    });
  }
  return mapped as CsvColumn[];
}

/** The record separator: that of the first line (CRLF from Windows and Search Console, or LF). */
function newlineOf(text: string): '\r\n' | '\n' | '\r' {
  const lf = text.indexOf('\n');
  if (lf > 0 && text.charCodeAt(lf - 1) === 13) return '\r\n';
  if (lf === -1 && text.includes('\r')) return '\r';
  return '\n';
}

/** Rows handed to `onBatch` at a time: large enough that a statement's overhead does not count. */
export const IMPORT_BATCH_ROWS = 10_000;

export interface CsvImportOptions {
  /**
   * Takes the valid rows `batchRows` at a time, for as long as no row has been found bad; the
   * parse then yields to the event loop, so that what the callback started (writing the batch)
   * runs while the next batch is parsed. The returned columns hold no row then.
   */
  onBatch?: (batch: MetricColumns) => void;
  batchRows?: number;
}

/**
 * Parses CSV with a header row, row by row through papaparse (csv-parse took three times as long
 * on a 100,000-row file): rows are validated as they are parsed (revenue in decimal major units,
 * converted exactly) and counted, stopping at the row limit (413). Errors name the line a row
 * starts on (`line 7`); the header is line 1. Empty lines are skipped.
 */
export async function parseCsvImport(
  body: Buffer,
  minorDigits: number,
  options: CsvImportOptions = {},
): Promise<ParsedImport> {
  const { onBatch, batchRows = IMPORT_BATCH_ROWS } = options;
  let columns = emptyColumns();
  const errors: FieldError[] = [];
  const duplicate = duplicateTracker((line) => `line ${line}`);
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const newline = newlineOf(text);
  let header: CsvColumn[] | null = null;
  let dateAt = -1;
  let count = 0;
  let stop: AppError | null = null;
  // Where the previous row ended and the line it ended on, to number rows by line even when a
  // quoted field holds a line break.
  let cursor = 0;
  let line = 1;
  // Papaparse counts `meta.cursor` from where it last resumed.
  let resumedAt = 0;

  const onRow = (record: string[], rowLine: number): void => {
    if (!header) {
      header = readHeader(record);
      dateAt = header.indexOf('date');
      return;
    }
    if (++count > MAX_IMPORT_ROWS) throw tooManyRows();
    if (record.length !== header.length) {
      errors.push({
        path: `line ${rowLine}`,
        message: `has ${record.length} fields; the header has ${header.length}`,
      });
      return;
    }
    const before = errors.length;
    const date = record[dateAt]!.trim();
    if (!isCalendarDate(date)) {
      errors.push({ path: `line ${rowLine}`, message: `date: "${date}" is not a date YYYY-MM-DD` });
    } else {
      const dup = duplicate(date, rowLine);
      if (dup) errors.push({ path: `line ${rowLine}`, message: `date: ${dup}` });
    }
    let sessions: number | null = null;
    let conversions: number | null = null;
    let revenue: number | null = null;
    let clicks: number | null = null;
    let impressions: number | null = null;
    let position: number | null = null;
    for (let i = 0; i < header.length; i++) {
      const field = header[i]!;
      if (field === 'date' || field === 'ignore') continue;
      const text = record[i]!.trim();
      if (text === '') continue;
      if (field === 'revenue') {
        const cents = decimalToMinorUnits(text, minorDigits);
        if (typeof cents === 'string')
          errors.push({ path: `line ${rowLine}`, message: `revenue: "${text}" ${cents}` });
        else revenue = cents;
      } else if (field === 'position') {
        const n = Number(text);
        if (!DECIMAL_RE.test(text) || n > 1e6)
          errors.push({
            path: `line ${rowLine}`,
            message: `position: "${text}" must be a number from 0`,
          });
        else position = n;
      } else {
        const n = Number(text);
        if (!INT_RE.test(text) || !Number.isSafeInteger(n)) {
          errors.push({
            path: `line ${rowLine}`,
            message: `${field}: "${text}" must be a non-negative integer`,
          });
        } else if (field === 'sessions') sessions = n;
        else if (field === 'conversions') conversions = n;
        else if (field === 'clicks') clicks = n;
        else impressions = n;
      }
    }
    if (errors.length === before) {
      columns.dates.push(date);
      columns.sessions.push(sessions);
      columns.conversions.push(conversions);
      columns.revenue.push(revenue);
      columns.clicks.push(clicks);
      columns.impressions.push(impressions);
      columns.position.push(position);
    }
  };
  /** Hands the rows so far over; true when it did (the parse then pauses). */
  const handOver = (): boolean => {
    if (!onBatch || errors.length > 0 || columns.dates.length === 0) return false;
    const batch = columns;
    columns = emptyColumns();
    onBatch(batch);
    return true;
  };

  let paused: Papa.Parser | null = null;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  Papa.parse<string[]>(text, {
    delimiter: ',',
    newline,
    quoteChar: '"',
    escapeChar: '"',
    complete: () => finish(),
    step(result, parser) {
      const rowLine = line;
      const end = resumedAt + result.meta.cursor;
      for (let at = text.indexOf(newline, cursor); at !== -1 && at < end;) {
        line++;
        at = text.indexOf(newline, at + newline.length);
      }
      cursor = end;
      const record = result.data;
      if (result.errors.length > 0) {
        const messages = new Set(result.errors.map((e) => e.message));
        errors.push({ path: `line ${rowLine}`, message: [...messages].join('; ') });
        return;
      }
      if (record.length === 1 && record[0]!.trim() === '') return;
      try {
        onRow(record, rowLine);
      } catch (error) {
        // A bad header or too many rows ends the parse; the error is thrown once papaparse returns.
        if (!(error instanceof AppError)) throw error;
        stop = error;
        parser.abort();
        finish();
        return;
      }
      if (columns.dates.length >= batchRows && handOver()) {
        resumedAt = end;
        paused = parser;
        parser.pause();
      }
    },
  });
  while (paused) {
    const parser: Papa.Parser = paused;
    paused = null;
    await new Promise((resolve) => setImmediate(resolve));
    parser.resume();
  }
  await finished;
  if (stop) throw stop;
  if (!header) {
    throw new AppError('validation', 'The CSV is empty', {
      errors: [{ path: 'line 1', message: 'needs a header row' }],
    });
  }
  handOver();
  return { columns, errors };
}
