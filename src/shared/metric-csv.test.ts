import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  columnForHeader,
  createValueReader,
  decimalToMinorUnits,
  minorDigitsOf,
  readDate,
  type MetricField,
} from './metric-csv.ts';

/** Reads cells of one file in order: each value or its problem, then the late problems. */
function readAll(currency: string, cells: [MetricField, string][]) {
  const reader = createValueReader(currency);
  const values = cells.map(([field, text], i) => reader.read(field, text, i + 2));
  return { values, late: reader.finish() };
}
const one = (currency: string, field: MetricField, text: string) =>
  readAll(currency, [[field, text]]).values[0];

describe('headers', () => {
  it('maps GA4, Looker Studio and Search Console names whatever their case and spacing', () => {
    const cases: [string, string | undefined][] = [
      ['Date', 'date'],
      [' DATE ', 'date'],
      ['Total revenue', 'revenue'],
      ['total_revenue', 'revenue'],
      ['totalRevenue', 'revenue'],
      ['Total Revenue (USD)', 'revenue'],
      ['Key events', 'conversions'],
      ['keyEvents', 'conversions'],
      ['Conversions', 'conversions'],
      ['Sessions', 'sessions'],
      ['Url Clicks', 'clicks'],
      ['Average Position', 'position'],
      ['Avg. position', 'position'],
      ['CTR', 'ignore'],
      ['', 'ignore'],
      ['Engaged sessions', undefined],
      ['Purchase revenue', undefined],
    ];
    for (const [header, column] of cases)
      expect([header, columnForHeader(header)]).toEqual([header, column]);
  });
});

describe('readDate', () => {
  it('reads ISO, GA4 and month-name dates and refuses ambiguous or impossible ones', () => {
    expect(readDate('2026-01-05')).toBe('2026-01-05');
    expect(readDate('20260105')).toBe('2026-01-05');
    expect(readDate(' 2026/1/5 ')).toBe('2026-01-05');
    expect(readDate('Jan 5, 2026')).toBe('2026-01-05');
    expect(readDate('January 5, 2026')).toBe('2026-01-05');
    expect(readDate('5 Sept 2026')).toBe('2026-09-05');
    expect(readDate('20260230')).toEqual({ problem: expect.stringContaining('not a date') });
    expect(readDate('18991231')).toEqual({ problem: expect.stringContaining('not a date') });
    expect(readDate('Janx 5, 2026')).toEqual({ problem: expect.stringContaining('not a date') });
    expect(readDate('01/05/2026')).toEqual({ problem: expect.stringContaining('ambiguous') });
  });

  it('reads every calendar day written as GA4 writes it', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01'), max: new Date('2999-12-31'), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString().slice(0, 10);
          expect(readDate(iso.replaceAll('-', ''))).toBe(iso);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('amounts', () => {
  it('reads currency symbols and thousands separators into exact minor units', () => {
    expect(one('USD', 'revenue', '$1,234.56')).toBe(123456);
    expect(one('USD', 'revenue', 'US$ 1,234.56')).toBe(123456);
    expect(one('USD', 'revenue', '1234.56 USD')).toBe(123456);
    expect(one('EUR', 'revenue', '1.234,56 €')).toBe(123456);
    expect(one('EUR', 'revenue', '1 234,56')).toBe(123456);
    expect(one('EUR', 'revenue', '1\u202f234,56\u00a0€')).toBe(123456);
    expect(one('CHF', 'revenue', "CHF 1'234.50")).toBe(123450);
    expect(one('INR', 'revenue', '₹1,23,456.78')).toBe(12345678);
    expect(one('JPY', 'revenue', '¥1,234')).toBe(1234);
    expect(one('USD', 'revenue', '0.1')).toBe(10);
    // One "." before three digits, and nothing else in the file saying how it writes decimals:
    // thousands, since a dollar amount has two decimals (the preview shows it before import).
    expect(one('USD', 'revenue', '19.990')).toBe(1999000);
    expect(one('USD', 'revenue', '19.9900')).toBe(1999);
    expect(one('USD', 'revenue', '.5')).toBe(50);
  });

  it('refuses another currency, negatives, bad grouping and too many decimals', () => {
    const problem = (c: string, t: string) => (one(c, 'revenue', t) as { problem: string }).problem;
    expect(problem('USD', '€1,234.56')).toMatch(/not in USD.*never converted or relabelled/);
    expect(problem('USD', '1.234,56 EUR')).toMatch(/not in USD/);
    expect(problem('USD', 'CA$5.00')).toMatch(/not in USD/);
    expect(problem('EUR', '$5')).toMatch(/not in EUR/);
    expect(problem('USD', '12 apples')).toMatch(/must be an amount/);
    expect(problem('USD', '-5.00')).toMatch(/negative/);
    expect(problem('USD', '($5.00)')).toMatch(/negative/);
    expect(problem('USD', '1,23,4.00')).toMatch(/thousands/);
    expect(problem('USD', '01,234.00')).toMatch(/thousands/);
    expect(problem('USD', '1.5.6,00')).toMatch(/thousands/);
    expect(problem('USD', '1,5,00')).toMatch(/thousands/);
    expect(problem('USD', '0.125')).toMatch(/more than 2 decimals/);
    expect(problem('BHD', '1,234')).toMatch(/ambiguous/);
    expect(problem('USD', '100000000000.01')).toMatch(/too large/);
  });

  it('reads an ambiguous separator by the mark the file uses, whenever it shows it', () => {
    // Nothing else in the file: "1,234" and "1.234" group thousands (no 3-decimal dollars).
    expect(readAll('USD', [['revenue', '1,234']]).values).toEqual([123400]);
    expect(readAll('USD', [['revenue', '1.234']]).values).toEqual([123400]);
    // The file writes decimals with ".": "1.234" is 1.234 dollars, which cannot be.
    const dotted = readAll('USD', [
      ['revenue', '5.50'],
      ['revenue', '1.234'],
      ['revenue', '1,234'],
    ]);
    expect(dotted.values).toEqual([550, { problem: '"1.234" has more than 2 decimals' }, 123400]);
    // Shown only later (a position, any column): the earlier cell is listed at its own line.
    const later = readAll('USD', [
      ['revenue', '1.234'],
      ['position', '3.5'],
    ]);
    expect(later.values).toEqual([123400, 3.5]);
    expect(later.late).toEqual([
      { line: 2, field: 'revenue', message: expect.stringContaining('"1.234" is ambiguous') },
    ]);
    // A file that writes decimals both ways is refused where it switches.
    const mixed = readAll('EUR', [
      ['revenue', '12,50'],
      ['revenue', '3.75'],
    ]);
    expect(mixed.values[1]).toEqual({
      problem: '"3.75" writes decimals with ".", but line 2 writes them with ","',
    });
    // Positions read a single separator as the decimal mark.
    expect(readAll('USD', [['position', '8,913']]).values).toEqual([8.913]);
  });

  it('reads any amount as Intl formats it in the currency, in every common locale', () => {
    const locales = [
      'en-US',
      'en-GB',
      'de-DE',
      'fr-FR',
      'de-CH',
      'en-IN',
      'es-ES',
      'nl-NL',
      'ja-JP',
    ];
    const currencies = ['USD', 'EUR', 'GBP', 'CHF', 'JPY', 'INR'];
    fc.assert(
      fc.property(
        fc.constantFrom(...locales),
        fc.constantFrom(...currencies),
        fc.nat({ max: 1e12 }),
        fc.boolean(),
        (locale, currency, minor, grouping) => {
          const digits = minorDigitsOf(currency);
          const formatted = new Intl.NumberFormat(locale, {
            style: 'currency',
            currency,
            useGrouping: grouping,
            minimumFractionDigits: digits,
          }).format(minor / 10 ** digits);
          expect([formatted, one(currency, 'revenue', formatted)]).toEqual([formatted, minor]);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('converts plain decimals exactly as the JSON-era converter did', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.integer({ min: 0, max: 2 }),
        (minor, shown) => {
          const s = minor.toString().padStart(3, '0');
          const text =
            shown === 0 && s.endsWith('00')
              ? s.slice(0, -2).replace(/^0+(?=\d)/, '')
              : `${s.slice(0, -2).replace(/^0+(?=\d)/, '')}.${s.slice(-2, shown === 1 && s.endsWith('0') ? -1 : undefined)}`;
          expect(one('USD', 'revenue', text)).toBe(Number(minor));
          expect(decimalToMinorUnits(text, 2)).toBe(Number(minor));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('counts and positions', () => {
  it('reads grouped counts, rounds fractional key events and refuses fractional sessions', () => {
    expect(one('USD', 'sessions', '1,234')).toBe(1234);
    expect(one('USD', 'sessions', '1.234.567')).toBe(1234567);
    expect(one('USD', 'sessions', '12.00')).toBe(12);
    expect(one('USD', 'conversions', '12.50')).toBe(13);
    expect(one('USD', 'conversions', '3.49')).toBe(3);
    expect(one('USD', 'sessions', '12.5')).toEqual({ problem: '"12.5" must be a whole number' });
    expect(one('USD', 'clicks', 'x')).toEqual({
      problem: '"x" must be a non-negative integer',
    });
    expect(one('USD', 'clicks', '$5')).toEqual({ problem: '"$5" must be a non-negative integer' });
    expect(one('USD', 'position', '8.91')).toBe(8.91);
    expect(one('USD', 'position', '1000001')).toEqual({
      problem: '"1000001" must be at most 1000000',
    });
  });
});
