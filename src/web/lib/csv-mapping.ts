import Papa from 'papaparse';
import {
  columnForHeader,
  createValueReader,
  isPreambleLine,
  isSkippedRow,
  METRIC_FIELDS,
  readDate,
  type CellProblem,
  type CsvColumn,
  type MetricField,
} from '../../shared/metric-csv.ts';

/** A CSV read in the browser before import: its header, its data rows and where each starts. */
export interface CsvFile {
  text: string;
  newline: string;
  /** Offsets of the header record in `text` (its end includes the line break). */
  headerStart: number;
  headerEnd: number;
  headerLine: number;
  header: string[];
  rows: { line: number; cells: string[] }[];
  /** Records papaparse could not read (a broken quote), by line. */
  broken: { line: number; message: string }[];
}

function newlineOf(text: string): string {
  const lf = text.indexOf('\n');
  if (lf > 0 && text.charCodeAt(lf - 1) === 13) return '\r\n';
  if (lf === -1 && text.includes('\r')) return '\r';
  return '\n';
}

/**
 * Reads a CSV as the server will (src/server/domain/metrics/parse-metric-rows.ts): comment and
 * blank lines before the header skipped, rows numbered by the line they start on.
 */
export function readCsvFile(input: string): CsvFile | { problem: string } {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const newline = newlineOf(text);
  let start = 0;
  let line = 1;
  for (;;) {
    const end = text.indexOf(newline, start);
    if (!isPreambleLine(end === -1 ? text.slice(start) : text.slice(start, end))) break;
    if (end === -1) return { problem: 'The file has no header row.' };
    start = end + newline.length;
    line++;
  }
  const rest = text.slice(start);
  let header: string[] | null = null;
  let headerEnd = start;
  const headerLine = line;
  const rows: CsvFile['rows'] = [];
  const broken: CsvFile['broken'] = [];
  let cursor = 0;
  Papa.parse<string[]>(rest, {
    delimiter: ',',
    newline: newline as '\n',
    quoteChar: '"',
    escapeChar: '"',
    step(result) {
      const rowLine = line;
      const end = result.meta.cursor;
      for (let at = rest.indexOf(newline, cursor); at !== -1 && at < end;) {
        line++;
        at = rest.indexOf(newline, at + newline.length);
      }
      cursor = end;
      if (result.errors.length > 0) {
        broken.push({ line: rowLine, message: result.errors.map((e) => e.message).join('; ') });
        return;
      }
      const record = result.data;
      if (!header) {
        header = record;
        headerEnd = start + end;
        return;
      }
      if (record.length === 1 && record[0]!.trim() === '') return;
      rows.push({ line: rowLine, cells: record });
    },
  });
  if (!header) return { problem: 'The file has no header row.' };
  return { text, newline, headerStart: start, headerEnd, headerLine, header, rows, broken };
}

/** Each column's field as the server would map its header; unknown ones default to "ignore". */
export function defaultMapping(header: readonly string[]): {
  mapping: CsvColumn[];
  recognised: boolean[];
} {
  const known = header.map((h) => columnForHeader(h));
  const mapping = known.map((k) => k ?? 'ignore');
  // A second column for a field (Conversions and Key events) starts ignored: the user picks.
  const seen = new Set<CsvColumn>();
  for (let i = 0; i < mapping.length; i++) {
    const m = mapping[i]!;
    if (m === 'ignore') continue;
    if (seen.has(m)) mapping[i] = 'ignore';
    seen.add(m);
  }
  return { mapping, recognised: known.map((k) => k !== undefined) };
}

/** What stops a mapping from being sent: no date, a field twice, nothing to import. */
export function mappingProblems(mapping: readonly CsvColumn[]): string[] {
  const problems: string[] = [];
  const dates = mapping.filter((m) => m === 'date').length;
  if (dates === 0) problems.push('Choose the column that holds the date.');
  if (dates > 1) problems.push('Only one column can be the date.');
  for (const f of METRIC_FIELDS)
    if (mapping.filter((m) => m === f).length > 1) problems.push(`Only one column can be ${f}.`);
  if (!mapping.some((m) => (METRIC_FIELDS as readonly string[]).includes(m)))
    problems.push('Choose at least one column to import.');
  return problems;
}

export interface PreviewRow {
  line: number;
  date: string | { problem: string };
  values: Partial<Record<MetricField, number | { problem: string }>>;
}

/**
 * The rows as they will be imported: every row is read (so an ambiguous separator is settled by
 * the whole file, as on the server), the first `limit` are returned with the problems of all.
 */
export function previewImport(
  file: CsvFile,
  mapping: readonly CsvColumn[],
  currency: string,
  limit = 10,
): { rows: PreviewRow[]; count: number; problems: CellProblem[] } {
  const reader = createValueReader(currency);
  const dateAt = mapping.indexOf('date');
  const rows: PreviewRow[] = [];
  const problems: (CellProblem | { line: number; field: 'date' | 'row'; message: string })[] =
    file.broken.map((b) => ({ line: b.line, field: 'row' as const, message: b.message }));
  let count = 0;
  const seen = new Map<string, number>();
  for (const { line, cells } of file.rows) {
    if (isSkippedRow(cells[0]!, dateAt === -1 ? '' : (cells[dateAt] ?? ''))) continue;
    count++;
    if (cells.length !== mapping.length) {
      problems.push({
        line,
        field: 'row',
        message: `has ${cells.length} fields; the header has ${mapping.length}`,
      });
      continue;
    }
    const row: PreviewRow = {
      line,
      date: dateAt === -1 ? { problem: 'no date column' } : readDate(cells[dateAt]!),
      values: {},
    };
    if (typeof row.date !== 'string' && dateAt !== -1)
      problems.push({ line, field: 'date', message: row.date.problem });
    else if (typeof row.date === 'string') {
      const first = seen.get(row.date);
      if (first !== undefined)
        problems.push({
          line,
          field: 'date',
          message: `date ${row.date} is already on line ${first}`,
        });
      else seen.set(row.date, line);
    }
    mapping.forEach((field, i) => {
      if (field === 'date' || field === 'ignore') return;
      const cell = cells[i]!.trim();
      if (cell === '') return;
      const value = reader.read(field, cell, line);
      row.values[field] = value;
      if (typeof value !== 'number') problems.push({ line, field, message: value.problem });
    });
    if (rows.length < limit) rows.push(row);
  }
  const late = reader.finish();
  for (const p of late) {
    const row = rows.find((r) => r.line === p.line);
    if (row) row.values[p.field] = { problem: p.message };
  }
  return {
    rows,
    count,
    problems: [...problems, ...late].sort((a, b) => a.line - b.line) as CellProblem[],
  };
}

/** The file as uploaded, its header row replaced by the mapped field names; every line stays put. */
export function remapCsv(file: CsvFile, mapping: readonly CsvColumn[]): string {
  const ended = file.text.slice(file.headerStart, file.headerEnd).endsWith(file.newline);
  return (
    file.text.slice(0, file.headerStart) +
    mapping.join(',') +
    (ended ? file.newline : '') +
    file.text.slice(file.headerEnd)
  );
}
