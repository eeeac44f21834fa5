import Papa from 'papaparse';
import { AppError, type FieldError } from '../../errors.ts';
import {
  columnForHeader,
  createValueReader,
  headerCurrency,
  isCalendarDate,
  isPreambleLine,
  isSkippedRow,
  MAX_MONEY,
  METRIC_FIELDS,
  readDate,
  type CsvColumn,
  type MetricField,
} from '../../../shared/metric-csv.ts';
import { MAX_IMPORT_ROWS } from '../../../shared/schemas/roi.ts';

export { METRIC_FIELDS, type MetricField } from '../../../shared/metric-csv.ts';
export { decimalToMinorUnits, isCalendarDate, minorDigitsOf } from '../../../shared/metric-csv.ts';

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

/**
 * The columns a header row names (aliases, case and spacing aside: src/shared/metric-csv.ts), or
 * the 400 that says what is wrong with it. A header naming a currency other than the workspace's
 * ("Revenue (EUR)") is refused: amounts are never relabelled.
 */
function readHeader(record: string[], line: number, currency: string): CsvColumn[] {
  const mapped = record.map((h) => columnForHeader(h));
  const bad = record.filter((_h, i) => mapped[i] === undefined).map((h) => h.trim());
  const dup = METRIC_FIELDS.filter((f) => mapped.filter((m) => m === f).length > 1);
  const dates = mapped.filter((m) => m === 'date').length;
  const foreign = record.filter((h, i) => {
    const c = headerCurrency(h);
    return mapped[i] === 'revenue' && c !== null && c !== currency.toUpperCase();
  });
  if (bad.length || dup.length || dates !== 1 || foreign.length) {
    const problems = [
      ...(bad.length ? [`unknown column ${bad.map((b) => `"${b}"`).join(', ')}`] : []),
      ...(dup.length ? [`more than one column for ${dup.join(', ')}`] : []),
      ...(dates === 0 ? ['no date column'] : dates > 1 ? ['more than one date column'] : []),
      ...(foreign.length
        ? [`"${foreign[0]!.trim()}" is not in ${currency}, this workspace's currency`]
        : []),
    ];
    throw new AppError('validation', 'The CSV header row is not valid', {
      errors: [
        {
          path: `line ${line}`,
          message: `${problems.join('; ')}. Columns: date, ${METRIC_FIELDS.join(', ')} (or ignore)`,
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

/**
 * The first batch's rows; each next batch is twice the last, up to IMPORT_BATCH_ROWS. The database
 * writes a row in about twice the time the parser reads one, so it starts after the first chunk of
 * text (a batch goes out when the parse yields, about 1,700 rows) rather than after 10,000 (about
 * 35 ms of a 100,000-row import), and never waits for the next batch.
 */
const FIRST_BATCH_ROWS = 1_000;

/**
 * Characters parsed between two turns of the event loop (about 1,700 rows, 3 ms): the database's
 * answers to a batch's statements are read, and its next statement sent, while the parse goes on,
 * and other requests wait for no more than that.
 */
const CHUNK_CHARS = 64 * 1024;

/** The longest row read: an unended row beyond it is an error (see the chunk callback). */
const MAX_ROW_CHARS = 256 * 1024;

export interface CsvImportOptions {
  /**
   * Takes the valid rows `firstBatchRows` first, then twice as many each time up to `batchRows`,
   * for as long as no row has been found bad; the
   * returned columns then hold no row. The parse yields to the event loop every `chunkChars`
   * characters, so that what the callback started (writing a batch) goes on meanwhile.
   */
  onBatch?: (batch: MetricColumns) => void;
  batchRows?: number;
  firstBatchRows?: number;
  chunkChars?: number;
}

/**
 * Parses CSV with a header row, row by row through papaparse (csv-parse took three times as long
 * on a 100,000-row file): rows are validated as they are parsed (revenue in decimal major units of
 * `currency`, converted exactly; see src/shared/metric-csv.ts for what is accepted) and counted,
 * stopping at the row limit (413). Errors name the line a row starts on and the field at fault
 * (`line 7.revenue`, or `line 7` for the row as a whole). `#` comment lines and blank lines before
 * the header (GA4's export opens with them) are skipped, as are empty lines, commented-out rows
 * and a "Total" row after it.
 */
export async function parseCsvImport(
  body: Buffer,
  currency: string,
  options: CsvImportOptions = {},
): Promise<ParsedImport> {
  const {
    onBatch,
    batchRows = IMPORT_BATCH_ROWS,
    firstBatchRows = FIRST_BATCH_ROWS,
    chunkChars = CHUNK_CHARS,
  } = options;
  let nextBatchRows = Math.min(firstBatchRows, batchRows);
  let columns = emptyColumns();
  const errors: FieldError[] = [];
  const duplicate = duplicateTracker((line) => `line ${line}`);
  const values = createValueReader(currency);
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const newline = newlineOf(text);
  // Where the previous row ended and the line it ended on, to number rows by line even when a
  // quoted field holds a line break.
  let cursor = 0;
  let line = 1;
  for (;;) {
    const end = text.indexOf(newline, cursor);
    if (!isPreambleLine(end === -1 ? text.slice(cursor) : text.slice(cursor, end))) break;
    if (end === -1) {
      cursor = text.length;
      break;
    }
    cursor = end + newline.length;
    line++;
  }
  if (cursor > 0) {
    text = text.slice(cursor);
    cursor = 0;
  }
  let header: CsvColumn[] | null = null;
  let dateAt = -1;
  let count = 0;
  let stop: AppError | null = null;

  const onRow = (record: string[], rowLine: number): void => {
    if (!header) {
      header = readHeader(record, rowLine, currency);
      dateAt = header.indexOf('date');
      return;
    }
    const rawDate = record[dateAt] ?? '';
    if (isSkippedRow(record[0]!, rawDate)) return;
    if (++count > MAX_IMPORT_ROWS) throw tooManyRows();
    if (record.length !== header.length) {
      errors.push({
        path: `line ${rowLine}`,
        message: `has ${record.length} fields; the header has ${header.length}`,
      });
      return;
    }
    const before = errors.length;
    let date = rawDate;
    if (!isCalendarDate(date)) {
      const read = readDate(date);
      if (typeof read === 'string') date = read;
      else errors.push({ path: `line ${rowLine}.date`, message: read.problem });
    }
    if (errors.length === before) {
      const dup = duplicate(date, rowLine);
      if (dup) errors.push({ path: `line ${rowLine}.date`, message: dup });
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
      let cell = record[i]!;
      // Trimming allocates: only when the cell has a space at either end.
      if (cell.length > 0 && (cell.charCodeAt(0) <= 32 || cell.charCodeAt(cell.length - 1) <= 32))
        cell = cell.trim();
      if (cell === '') continue;
      const value = values.read(field, cell, rowLine);
      if (typeof value !== 'number') {
        errors.push({ path: `line ${rowLine}.${field}`, message: value.problem });
        continue;
      }
      if (field === 'revenue') revenue = value;
      else if (field === 'position') position = value;
      else if (field === 'sessions') sessions = value;
      else if (field === 'conversions') conversions = value;
      else if (field === 'clicks') clicks = value;
      else impressions = value;
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
  /** Hands the rows so far over, unless a row was bad (nothing will be written then). */
  const handOver = (): void => {
    if (!onBatch || errors.length > 0 || columns.dates.length === 0) return;
    const batch = columns;
    columns = emptyColumns();
    onBatch(batch);
  };

  /** How far papaparse has read: whole chunks. */
  let read = 0;
  let finish: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  // Papaparse reads the text a chunk at a time (a row cut by a chunk's end is completed from the
  // next, quoted line breaks included) and pauses after each chunk until the next turn of the
  // event loop. Pausing inside a chunk instead makes it split the whole rest of the text again.
  Papa.parse<string[]>(text, {
    delimiter: ',',
    newline,
    quoteChar: '"',
    escapeChar: '"',
    chunkSize: chunkChars,
    chunk(_result: Papa.ParseResult<string[]>, parser: Papa.Parser) {
      read = Math.min(read + chunkChars, text.length);
      // Papaparse reads a row that has not ended yet again from its start with each chunk: a
      // quote left open (or line breaks that change within the file) would make the parse
      // quadratic. A metrics row is a few hundred characters at most.
      if (read - cursor > MAX_ROW_CHARS) {
        errors.push({
          path: `line ${line}`,
          message: `the row does not end within ${MAX_ROW_CHARS / 1024} KiB: a quote left open, or line breaks that change within the file?`,
        });
        parser.abort();
        finish();
        return;
      }
      parser.pause();
      setImmediate(() => {
        try {
          parser.resume();
        } catch (error) {
          fail(error);
        }
      });
    },
    complete: () => finish(),
    step(result, parser) {
      const rowLine = line;
      const end = result.meta.cursor;
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
      if (columns.dates.length >= nextBatchRows) {
        handOver();
        nextBatchRows = Math.min(batchRows, nextBatchRows * 2);
      }
    },
  });
  await finished;
  if (stop) throw stop;
  if (!header) {
    throw new AppError('validation', 'The CSV is empty', {
      errors: [{ path: 'line 1', message: 'needs a header row' }],
    });
  }
  const late = values.finish();
  if (late.length > 0) {
    // Cells read before the file showed its decimal mark: listed among the rest by line.
    for (const p of late) errors.push({ path: `line ${p.line}.${p.field}`, message: p.message });
    errors.sort((a, b) => lineOf(a.path) - lineOf(b.path));
  }
  handOver();
  return { columns, errors };
}

const lineOf = (path: string) => Number(/^line (\d+)/.exec(path)?.[1] ?? 0);
