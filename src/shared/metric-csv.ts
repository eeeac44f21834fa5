/**
 * How a metrics CSV is read, shared by the server (which imports it) and the web app (which shows
 * the column mapping and a preview of the rows exactly as they will be imported).
 *
 * Accepted as people have them: our own columns, a Search Console performance export, a GA4 or
 * Looker Studio export (`#` comment lines before the header, dates `20260105`, headers such as
 * "Total revenue" or "Key events"), amounts with the workspace's currency symbol or code and
 * thousands separators (`$1,234.56`, `1.234,56 €`, `1 234,56`, `1'234.56`).
 *
 * Separators (docs/metrics-import.md): in a number with both `.` and `,`, the last one is the
 * decimal mark; one repeated, or spaces and apostrophes, group thousands; a single `.` or `,`
 * followed by other than three digits is the decimal mark. A single one followed by exactly three
 * digits (`1,234`, `1.234`) is ambiguous: it is read by the decimal mark the file's unambiguous
 * numbers use (any column), and as a thousands separator while they show none, since an amount in
 * a currency of two decimals cannot have three; in a currency of three decimals (BHD, KWD…) it is
 * refused. A file that writes decimals both ways is refused at each value that disagrees with the
 * first. Positions always read a single separator as the decimal mark (they are small numbers,
 * often with three decimals). A currency symbol or code other than the workspace's is refused:
 * amounts are never converted or relabelled.
 */

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
/** What a CSV column can be mapped to. */
export type CsvColumn = 'date' | MetricField | 'ignore';
export const CSV_COLUMNS: readonly CsvColumn[] = ['date', ...METRIC_FIELDS, 'ignore'];

/**
 * Header names accepted for each column, normalized by `normalizeHeader` (lowercase, letters and
 * digits only, a trailing "(…)" dropped): ours, Search Console's, GA4's (UI and API names) and
 * Looker Studio's. An empty header cell (a trailing comma) and `ignore` name a column to skip.
 */
const HEADER_ALIASES: Record<string, CsvColumn> = {
  date: 'date',
  day: 'date',
  sessions: 'sessions',
  conversions: 'conversions',
  keyevents: 'conversions',
  revenue: 'revenue',
  totalrevenue: 'revenue',
  clicks: 'clicks',
  urlclicks: 'clicks',
  impressions: 'impressions',
  position: 'position',
  averageposition: 'position',
  avgposition: 'position',
  // Search Console's click-through rate ("3.5%") is clicks / impressions: derived, not stored.
  ctr: 'ignore',
  sitectr: 'ignore',
  urlctr: 'ignore',
  ignore: 'ignore',
  '': 'ignore',
};

/** A header cell as the alias table knows it: "Total revenue (USD)" → "totalrevenue". */
export function normalizeHeader(name: string): string {
  return name
    .trim()
    .replace(/\s*\([^)]*\)\s*$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** The currency a header names in parentheses ("Revenue (EUR)" → "EUR"), if any. */
export function headerCurrency(name: string): string | null {
  const m = /\(\s*([A-Za-z]{3})\s*\)\s*$/.exec(name.trim());
  return m ? m[1]!.toUpperCase() : null;
}

/** The column a header cell names, or undefined when it names none we know. */
export function columnForHeader(name: string): CsvColumn | undefined {
  return HEADER_ALIASES[normalizeHeader(name)];
}

/** GA4 exports open with `#` comment lines; blank lines may precede the header too. */
export function isPreambleLine(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

/** A data row that is not a day: a commented-out line or a totals row some exports add. */
export function isSkippedRow(firstCell: string, dateCell: string): boolean {
  // Hot path: a date starts with a digit; look closer only when a cell starts otherwise.
  const c = firstCell.charCodeAt(0);
  if (c === 35 || (c <= 32 && firstCell.trimStart().startsWith('#'))) return true;
  const d = dateCell.charCodeAt(0);
  return !(d >= 48 && d <= 57) && /^\s*(grand\s+)?totals?:?\s*$/i.test(dateCell);
}

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

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function ymd(y: string, m: string | number, d: string): string {
  return `${y}-${String(m).padStart(2, '0')}-${d.padStart(2, '0')}`;
}

function monthOf(name: string): number {
  const n = name.toLowerCase().replace(/\.$/, '');
  const i = MONTHS.indexOf(n.slice(0, 3));
  // "Sept" and full names are fine; "Marchx" is not.
  if (i === -1 || !/^[a-z]+$/.test(n)) return -1;
  const full = new Date(Date.UTC(2000, i, 1)).toLocaleString('en', {
    month: 'long',
    timeZone: 'UTC',
  });
  return full.toLowerCase().startsWith(n) || n === 'sept' ? i + 1 : -1;
}

/**
 * A date cell as `YYYY-MM-DD`, or the problem with it. Reads `2026-01-05`, GA4's `20260105`,
 * `2026/01/05`, `2026-1-5` and English month names (`Jan 5, 2026`, `5 January 2026`, Looker
 * Studio's). Day/month orders with slashes (`01/05/2026`) are refused: they read both ways.
 */
export function readDate(text: string): string | { problem: string } {
  const t = text.trim();
  if (isCalendarDate(t)) return t;
  let date: string | null = null;
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (m) date = ymd(m[1]!, m[2]!, m[3]!);
  m ??= /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(t);
  if (m && !date) date = ymd(m[1]!, m[2]!, m[3]!);
  const named =
    /^([A-Za-z]+\.?)\s+(\d{1,2}),?\s+(\d{4})$/.exec(t) ??
    /^(\d{1,2})\s+([A-Za-z]+\.?),?\s+(\d{4})$/.exec(t);
  if (!date && named) {
    const [monthName, day] = /^\d/.test(named[1]!)
      ? [named[2]!, named[1]!]
      : [named[1]!, named[2]!];
    const month = monthOf(monthName);
    if (month > 0) date = ymd(named[3]!, month, day);
  }
  if (date && isCalendarDate(date)) return date;
  if (/^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$/.test(t))
    return {
      problem: `"${t}" is ambiguous (day and month can be read both ways); write 2026-01-05`,
    };
  return { problem: `"${t}" is not a date such as 2026-01-05 or 20260105` };
}

type Mark = '.' | ',';
/** What a number cell holds, before the file's decimal mark decides an ambiguous one. */
interface NumberText {
  whole: string;
  fraction: string;
  /** The decimal mark this value shows unambiguously. */
  mark: Mark | null;
  /** A single `.` or `,` before exactly three digits: read as grouping until the file says otherwise. */
  ambiguous: Mark | null;
  /** The text around the number (a currency symbol or code), trimmed. */
  marker: string;
}

const GROUP_SPACE = /[\s'\u2019\u00a0\u202f]/g;
const NUMBER_CHARS = /^[\d.,\s'\u2019\u00a0\u202f]+$/;

/** True when `groups` is a valid thousands (or Indian lakh) grouping of an integer. */
function validGrouping(groups: string[]): boolean {
  if (groups.length === 1) return true;
  if (!/^[1-9]\d{0,2}$/.test(groups[0]!)) return false;
  const rest = groups.slice(1);
  if (rest.every((g) => g.length === 3 && /^\d+$/.test(g))) return true;
  // 12,34,567: Indian grouping, pairs then a final three.
  return (
    groups[0]!.length <= 2 &&
    rest.slice(0, -1).every((g) => /^\d{2}$/.test(g)) &&
    /^\d{3}$/.test(rest[rest.length - 1]!)
  );
}

/** Splits a number cell into its digits, its decimal mark and the text around it. */
function splitNumber(text: string, alwaysDecimal: boolean): NumberText | string {
  const t = text.trim();
  let first = -1;
  let last = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (first === -1) first = i;
      last = i;
    }
  }
  if (first === -1) return 'must be a number';
  let start = first;
  // ".5" and ",5": the mark belongs to the number.
  if (start > 0 && (t[start - 1] === '.' || t[start - 1] === ',')) start--;
  const prefix = t.slice(0, start).trim();
  const suffix = t.slice(last + 1).trim();
  if (/^[-\u2212(]|-$/.test(prefix) || suffix.startsWith(')')) return 'must not be negative';
  if (prefix && suffix) return 'must be a number such as 1234.56';
  const core = t.slice(start, last + 1);
  if (!NUMBER_CHARS.test(core)) return 'must be a number such as 1234.56';
  const spaced = GROUP_SPACE.test(core);
  GROUP_SPACE.lastIndex = 0;
  const dots = core.split('.').length - 1;
  const commas = core.split(',').length - 1;
  let mark: Mark | null = null;
  let ambiguous: Mark | null = null;
  if (dots > 0 && commas > 0) {
    mark = core.lastIndexOf('.') > core.lastIndexOf(',') ? '.' : ',';
    if ((mark === '.' ? dots : commas) > 1) return 'must be a number such as 1234.56';
  } else if (dots + commas === 1) {
    const single: Mark = dots ? '.' : ',';
    const after = core.length - core.indexOf(single) - 1;
    const before = core.slice(0, core.indexOf(single)).replace(GROUP_SPACE, '');
    if (alwaysDecimal || spaced || after !== 3 || before === '' || /^0/.test(before)) mark = single;
    else ambiguous = single;
  }
  let wholeText = core;
  let fraction = '';
  if (mark) {
    const at = core.lastIndexOf(mark);
    wholeText = core.slice(0, at);
    fraction = core.slice(at + 1);
    if (!/^\d*$/.test(fraction)) return 'must be a number such as 1234.56';
  }
  // Whatever separates the whole part's digits now is grouping: one kind, valid groups.
  const separators = new Set(wholeText.replace(/\d/g, '').replace(GROUP_SPACE, ' '));
  if (separators.size > 1) return 'mixes thousands separators';
  const groups = wholeText.split(/[.,\s'\u2019\u00a0\u202f]/);
  if (!validGrouping(groups)) return 'has misplaced thousands separators';
  const whole = groups.join('');
  if (whole === '' && fraction === '') return 'must be a number';
  return { whole: whole || '0', fraction, mark, ambiguous, marker: prefix || suffix };
}

/** The symbols a currency is written with (`$`, `US$`, `USD`…), uppercased, in a few locales. */
const symbolCache = new Map<string, Set<string>>();
function currencySymbols(currency: string): Set<string> {
  const cached = symbolCache.get(currency);
  if (cached) return cached;
  const symbols = new Set([currency.toUpperCase()]);
  symbolCache.set(currency, symbols);
  for (const locale of ['en-US', 'en-GB', 'en-CA', 'en-IN', 'de-DE', 'fr-FR', 'ja-JP', 'pt-BR']) {
    for (const currencyDisplay of ['symbol', 'narrowSymbol'] as const) {
      try {
        const part = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay })
          .formatToParts(1)
          .find((p) => p.type === 'currency');
        if (part) symbols.add(part.value.toUpperCase());
      } catch {
        /* an unknown currency has only its code */
      }
    }
  }
  return symbols;
}

let knownMarkers: Set<string> | null = null;
/** Every currency symbol and code the runtime knows, to tell "another currency" from garbage. */
function isCurrencyMarker(marker: string): boolean {
  if (/^[A-Z]{3}$/i.test(marker)) return true;
  if (!knownMarkers) {
    knownMarkers = new Set();
    let codes: string[] = [];
    try {
      codes = Intl.supportedValuesOf('currency');
    } catch {
      codes = ['USD', 'EUR', 'GBP', 'JPY', 'INR', 'CNY', 'CHF', 'CAD', 'AUD', 'BRL'];
    }
    for (const code of codes) for (const s of currencySymbols(code)) knownMarkers.add(s);
  }
  return knownMarkers.has(marker.toUpperCase()) || /^\p{Sc}+$/u.test(marker);
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

/** At most 10^13 minor units, so sums stay exact. */
export const MAX_MONEY = 1e13;
const DECIMAL_RE = /^(\d{1,16})(?:\.(\d+))?$/;
const INT_RE = /^\d{1,16}$/;

/**
 * Converts a decimal amount in major units (`1234.56`) to minor units exactly, by string
 * arithmetic: no floating point touches it. More decimals than the currency has is an error.
 */
export function decimalToMinorUnits(text: string, minorDigits: number): number | string {
  const m = DECIMAL_RE.exec(text);
  if (!m) return `must be a decimal amount such as 1234.56`;
  return partsToMinor(m[1]!, m[2] ?? '', minorDigits);
}

function partsToMinor(whole: string, fraction: string, minorDigits: number): number | string {
  const trimmed = fraction.replace(/0+$/, '');
  if (trimmed.length > minorDigits) return `has more than ${minorDigits} decimals`;
  const digits = (whole + trimmed.padEnd(minorDigits, '0')).replace(/^0+(?=\d)/, '');
  if (digits.length > 16) return 'is too large';
  const value = Number(digits);
  return value > MAX_MONEY ? 'is too large' : value;
}

/** A problem with one cell: the line it is on, the field, the message (the cell quoted). */
export interface CellProblem {
  line: number;
  field: MetricField;
  message: string;
}

export interface ValueReader {
  /** The value of a non-empty cell (minor units for revenue), or the problem with it. */
  read(field: MetricField, text: string, line: number): number | { problem: string };
  /**
   * Cells read as thousands before a later number showed that the file writes decimals with that
   * mark: they are problems after all (the whole file is needed to know).
   */
  finish(): CellProblem[];
}

/**
 * Reads the metric cells of one file in order, keeping the decimal mark it uses. `currency` is the
 * workspace's: revenue in it converts exactly to minor units, in another currency is refused.
 */
export function createValueReader(currency: string): ValueReader {
  const minorDigits = minorDigitsOf(currency);
  let symbols: Set<string> | null = null;
  let fileMark: Mark | null = null;
  let markSeenAt = 0;
  let pending: (CellProblem & { mark: Mark })[] = [];
  const late: CellProblem[] = [];

  /** Records the mark a value shows; a problem when it disagrees with the file's. */
  const noteMark = (mark: Mark, line: number): string | null => {
    if (fileMark === null) {
      fileMark = mark;
      markSeenAt = line;
      for (const p of pending) if (p.mark === mark) late.push(p);
      pending = [];
      return null;
    }
    return fileMark === mark
      ? null
      : `writes decimals with "${mark}", but line ${markSeenAt} writes them with "${fileMark}"`;
  };

  /** Whole and fraction digits of a number cell, its ambiguity settled as far as known now. */
  const digitsOf = (
    field: MetricField,
    text: string,
    line: number,
  ): { whole: string; fraction: string; marker: string } | string => {
    const n = splitNumber(text, field === 'position');
    if (typeof n === 'string') return n;
    // The text around the number is checked before the number tells the file's decimal mark.
    if (n.marker) {
      if (field !== 'revenue') return 'must be a number';
      symbols ??= currencySymbols(currency);
      const marker = n.marker.toUpperCase().replace(/\s+/g, '');
      if (!symbols.has(marker)) {
        return isCurrencyMarker(marker)
          ? `is not in ${currency}, this workspace's currency: amounts are never converted or relabelled`
          : 'must be an amount such as 1234.56';
      }
    }
    if (n.mark) {
      const conflict = noteMark(n.mark, line);
      if (conflict) return conflict;
    }
    if (n.ambiguous) {
      if (fileMark === n.ambiguous) {
        // The file writes decimals with this mark: "1.234" is 1.234.
        return {
          whole: n.whole.slice(0, -3) || '0',
          fraction: n.whole.slice(-3),
          marker: n.marker,
        };
      }
      if (fileMark === null) {
        if (field === 'revenue' && minorDigits >= 3)
          return `is ambiguous: "${n.ambiguous}" before three digits may group thousands or mark ${minorDigits} decimals; write both separators (1,234.000) or none`;
        pending.push({
          line,
          field,
          mark: n.ambiguous,
          message: `"${text.trim()}" is ambiguous: it reads as ${n.whole} with "${n.ambiguous}" grouping thousands, but this file writes decimals with "${n.ambiguous}"; write it with both separators or none`,
        });
      }
    }
    return { whole: n.whole, fraction: n.fraction, marker: n.marker };
  };

  return {
    read(field, text, line) {
      if (field === 'revenue') {
        const m = DECIMAL_RE.exec(text);
        // The common case, our own and GA4's export: 1234.56.
        if (m && (m[2] === undefined || m[2].length !== 3)) {
          if (m[2] !== undefined) {
            const conflict = noteMark('.', line);
            if (conflict) return { problem: `"${text}" ${conflict}` };
          }
          const cents = partsToMinor(m[1]!, m[2] ?? '', minorDigits);
          return typeof cents === 'string' ? { problem: `"${text}" ${cents}` } : cents;
        }
        const d = digitsOf(field, text, line);
        if (typeof d === 'string') return { problem: `"${text.trim()}" ${d}` };
        const cents = partsToMinor(d.whole, d.fraction, minorDigits);
        return typeof cents === 'string' ? { problem: `"${text.trim()}" ${cents}` } : cents;
      }
      if (field === 'position') {
        const m = DECIMAL_RE.exec(text);
        let value: number;
        if (m) {
          if (m[2] !== undefined) {
            const conflict = noteMark('.', line);
            if (conflict) return { problem: `"${text}" ${conflict}` };
          }
          value = Number(text);
        } else {
          const d = digitsOf(field, text, line);
          if (typeof d === 'string' || d.marker)
            return { problem: `"${text.trim()}" must be a number from 0` };
          value = Number(`${d.whole}.${d.fraction || '0'}`);
        }
        return value > 1e6 ? { problem: `"${text.trim()}" must be at most 1000000` } : value;
      }
      // Counts: sessions, conversions, clicks, impressions.
      if (INT_RE.test(text)) {
        const n = Number(text);
        if (Number.isSafeInteger(n)) return n;
      }
      const d = digitsOf(field, text, line);
      if (typeof d === 'string' || d.marker) {
        const why =
          typeof d === 'string' && d !== 'must be a number' ? d : 'must be a non-negative integer';
        return { problem: `"${text.trim()}" ${why}` };
      }
      let n = Number(d.whole);
      if (/[1-9]/.test(d.fraction)) {
        // GA4 shows key events with decimals (attribution splits them): rounded, as a sync does.
        if (field !== 'conversions') return { problem: `"${text.trim()}" must be a whole number` };
        n = Math.round(Number(`${d.whole}.${d.fraction}`));
      }
      return Number.isSafeInteger(n) ? n : { problem: `"${text.trim()}" is too large` };
    },
    finish() {
      return late.map(({ line, field, message }) => ({ line, field, message }));
    },
  };
}
