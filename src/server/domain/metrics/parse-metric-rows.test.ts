import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import { MetricRow } from '../../../shared/schemas/roi.ts';
import {
  METRIC_FIELDS,
  parseCsvImport,
  parseJsonImport,
  type MetricColumns,
} from './parse-metric-rows.ts';

const json = (rows: unknown[]) => parseJsonImport(Buffer.from(JSON.stringify({ rows })));
const csv = (text: string) => parseCsvImport(Buffer.from(text), 'USD');

/** Row `i` of parsed columns as the object it came from (null: not named). */
const rowOf = (c: MetricColumns, i: number) => ({
  date: c.dates[i],
  sessions: c.sessions[i],
  conversions: c.conversions[i],
  revenue: c.revenue[i],
  clicks: c.clicks[i],
  impressions: c.impressions[i],
  position: c.position[i],
});

/** `MetricRow` refusing unknown fields, as the import does (a typo must not import silently). */
const StrictMetricRow = z.strictObject(MetricRow.shape);

const calendarDate = fc
  .date({ min: new Date('1900-01-01'), max: new Date('2999-12-31'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const count = fc.oneof(fc.nat({ max: 1_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER));

/** A valid row: any subset of the fields, each with a valid value or null. */
const validRow = fc.record(
  {
    date: calendarDate,
    sessions: fc.option(count),
    conversions: fc.option(count),
    revenue: fc.option(fc.oneof(fc.nat({ max: 1_000_000 }), fc.constant(1e13))),
    clicks: fc.option(count),
    impressions: fc.option(count),
    position: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true })),
  },
  { requiredKeys: ['date'] },
);

// One field (or a typo) set to a value around a bound the schema draws: negatives, fractions, the
// safe-integer and money limits, the position's maximum, wrong types and impossible dates.
const edgeValue = fc.constantFrom<unknown>(
  0,
  -1,
  1.5,
  1e6,
  1e6 + 0.5,
  1e13,
  1e13 + 1,
  Number.MAX_SAFE_INTEGER + 1,
  null,
  '12',
  true,
  [],
  {},
  '2026-02-29',
  '2024-02-29',
  '2026-13-01',
  '2026-1-01',
  '',
);
const field = fc.constantFrom('date', ...METRIC_FIELDS, 'sesions');
// The parser's calendar is 1900–2999; z.iso.date() also admits other years, so the equivalence
// is stated over the calendar the product accepts.
const anyRow = fc
  .tuple(validRow, fc.option(fc.tuple(field, edgeValue)))
  .map(([row, edge]) => (edge ? { ...row, [edge[0]]: edge[1] } : row));

describe('parseJsonImport', () => {
  it('accepts exactly the rows the MetricRow schema accepts, with the same values', () => {
    fc.assert(
      fc.property(anyRow, (generated) => {
        // What the server receives: the row as JSON carries it (-0 arrives as 0).
        const row: unknown = JSON.parse(JSON.stringify(generated));
        const parsed = json([row]);
        const schema = StrictMetricRow.safeParse(row);
        expect(parsed.errors.length === 0).toBe(schema.success);
        if (schema.success) {
          const { date, ...fields } = schema.data;
          const expected = {
            date,
            ...Object.fromEntries(METRIC_FIELDS.map((f) => [f, fields[f] ?? null])),
          };
          expect(rowOf(parsed.columns, 0)).toEqual(expected);
        } else {
          expect(parsed.columns.dates).toEqual([]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('names every bad field of every row, and a repeated date', () => {
    const parsed = json([
      { date: '2026-01-01', sessions: 1 },
      { date: '2026-01-02', sessions: -1, position: -2, extra: 1 },
      'row',
      { date: '2026-01-01' },
    ]);
    expect(parsed.errors).toEqual([
      { path: 'rows.1.extra', message: 'is not a metric field' },
      { path: 'rows.1.sessions', message: 'must be a non-negative integer' },
      { path: 'rows.1.position', message: 'must be a number from 0' },
      { path: 'rows.2', message: 'must be an object' },
      { path: 'rows.3.date', message: 'date 2026-01-01 is already on rows.0' },
    ]);
  });
});

describe('parseCsvImport', () => {
  it('numbers rows by the line they start on, across empty lines and quoted line breaks', async () => {
    const parsed = await csv(
      'date,sessions\n2026-01-01,1\n\n2026-01-02,"2\nx"\n2026-01-03,x\n\r\n2026-01-01,4\n',
    );
    expect(parsed.errors).toEqual([
      { path: 'line 4.sessions', message: '"2\nx" must be a non-negative integer' },
      { path: 'line 6.sessions', message: '"x" must be a non-negative integer' },
      { path: 'line 8.date', message: 'date 2026-01-01 is already on line 2' },
    ]);
  });

  it('reads CRLF, a byte order mark and quoted fields', async () => {
    const parsed = await csv('\uFEFFDate,"Revenue",Position\r\n"2026-01-01","1,234.5x",1\r\n');
    expect(parsed.errors).toEqual([
      { path: 'line 2.revenue', message: '"1,234.5x" must be an amount such as 1234.56' },
    ]);
    const ok = await csv('\uFEFFDate,"Revenue",Position\r\n"2026-01-01","1,234.5",1\r\n');
    expect(ok.errors).toEqual([]);
    expect(rowOf(ok.columns, 0)).toMatchObject({
      date: '2026-01-01',
      revenue: 123450,
      position: 1,
    });
  });

  it('reads a GA4 export: comment lines first, dates 20260105, its column names, a totals row', async () => {
    const ga4 = [
      '# ----------------------------------------',
      '# Traffic acquisition: Session primary channel group',
      '# Account: Bloom, "Florist" Ltd',
      '# ----------------------------------------',
      '#',
      '# Start date: 20260101',
      '# End date: 20260103',
      'Date,Sessions,Key events,Total revenue,Engagement rate',
      '20260101,"1,204",12.00,"$1,234.56",0.61',
      '20260102,980,3.5,$99.00,0.58',
      '',
      'Grand total,"2,184",15.50,"$1,333.56",0.6',
    ].join('\n');
    // GA4's own columns we do not store are refused until mapped to "ignore".
    await expect(csv(ga4)).rejects.toMatchObject({
      options: {
        errors: [{ path: 'line 8', message: expect.stringContaining('"Engagement rate"') }],
      },
    });
    const parsed = await csv(ga4.replace('Engagement rate', 'ignore'));
    expect(parsed.errors).toEqual([]);
    expect([0, 1].map((i) => rowOf(parsed.columns, i))).toEqual([
      {
        date: '2026-01-01',
        sessions: 1204,
        conversions: 12,
        revenue: 123456,
        clicks: null,
        impressions: null,
        position: null,
      },
      {
        date: '2026-01-02',
        sessions: 980,
        conversions: 4,
        revenue: 9900,
        clicks: null,
        impressions: null,
        position: null,
      },
    ]);
  });

  it('lists every bad cell by line and field, including a late-decided ambiguous amount', async () => {
    const parsed = await csv(
      [
        'Date,Revenue,Sessions,,Position',
        '2026-01-01,"1.234",5,x,1',
        '2026-01-02,€5.00,1.5,,2',
        '01/03/2026,5,5,,3',
        '2026-01-04,"12,50",5,,4.25',
      ].join('\n'),
    );
    expect(parsed.errors).toEqual([
      { path: 'line 2.revenue', message: expect.stringContaining('"1.234" is ambiguous') },
      {
        path: 'line 3.revenue',
        message:
          '"€5.00" is not in USD, this workspace\'s currency: amounts are never converted or relabelled',
      },
      { path: 'line 3.sessions', message: '"1.5" must be a whole number' },
      { path: 'line 4.date', message: expect.stringContaining('ambiguous') },
      {
        path: 'line 5.revenue',
        message: '"12,50" writes decimals with ",", but line 3 writes them with "."',
      },
    ]);
  });

  it('refuses a header that repeats a field, lacks a date or names another currency', async () => {
    for (const [header, problem] of [
      ['Date,Conversions,Key events', 'more than one column for conversions'],
      ['Day,Date,Sessions', 'more than one date column'],
      ['Sessions,Clicks', 'no date column'],
      ['Date,Revenue (EUR)', '"Revenue (EUR)" is not in USD'],
    ] as const) {
      await expect(csv(`${header}\n2026-01-01,1,1\n`)).rejects.toMatchObject({
        options: { errors: [{ path: 'line 1', message: expect.stringContaining(problem) }] },
      });
    }
    expect((await csv('Date,Revenue (USD),CTR\n2026-01-01,1,2%\n')).errors).toEqual([]);
  });

  it('reports a malformed quote on its line instead of guessing', async () => {
    const parsed = await csv('date,sessions\n2026-01-01,1\n2026-01-02,"3"x\n');
    expect(parsed.errors).toEqual([
      {
        path: 'line 3',
        message: 'Trailing quote on quoted field is malformed; Quoted field unterminated',
      },
    ]);
    expect(parsed.columns.dates).toEqual(['2026-01-01']);
  });

  it('refuses a bad header and more than 100,000 rows', async () => {
    await expect(csv('day_of,visits\n2026-01-01,1\n')).rejects.toThrow(AppError);
    const lines = ['date'];
    const start = Date.UTC(1900, 0, 1);
    for (let i = 0; i <= 100_000; i++)
      lines.push(new Date(start + i * 86_400_000).toISOString().slice(0, 10));
    await expect(csv(lines.join('\n'))).rejects.toThrow(/at most 100,000 rows/);
  });

  it('stops at a row that does not end within 256 KiB instead of reading it again and again', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `2000-01-01,5,${i % 7}`).join('\n');
    // A quote left open, and a CRLF header over LF rows: either way the rest is one row.
    for (const text of [
      `date,clicks,sessions\n2000-01-01,"1,2\n${rows}`,
      `date,clicks,sessions\r\n2000-01-02,1,2\n${rows}`,
    ]) {
      const parsed = await parseCsvImport(Buffer.from(text), 'USD', { onBatch: () => undefined });
      expect(parsed.errors).toEqual([
        {
          path: 'line 2',
          message:
            'the row does not end within 256 KiB: a quote left open, or line breaks that change within the file?',
        },
      ]);
    }
  });

  it('hands rows over in batches, yielding between chunks of text, with the same rows and errors as one parse', async () => {
    const line = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.nat(3_000), fc.nat(99)).map(([d, n]) => [d, `${n}`]) },
      { weight: 2, arbitrary: fc.tuple(fc.nat(3_000), fc.nat(99)).map(([d, n]) => [d, `"${n}"`]) },
      { weight: 1, arbitrary: fc.nat(3_000).map((d) => [d, '"1\n2"']) }, // bad, over two lines
      { weight: 1, arbitrary: fc.constant(null) }, // an empty line
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom('\n', '\r\n'),
        async (lines, batchRows, firstBatchRows, chunkChars, newline) => {
          const day = (d: number) =>
            new Date(Date.UTC(2000, 0, 1) + d * 86_400_000).toISOString().slice(0, 10);
          const text = [
            'date,clicks',
            ...lines.map((l) => (l ? `${day(l[0] as number)},${l[1]}` : '')),
          ].join(newline);
          const whole = await csv(text);
          const batches: MetricColumns[] = [];
          // Counts turns of the event loop while the parse runs.
          let turns = 0;
          let counting = true;
          const count = () => {
            turns++;
            if (counting) setImmediate(count);
          };
          setImmediate(count);
          const batched = await parseCsvImport(Buffer.from(text), 'USD', {
            batchRows,
            firstBatchRows,
            chunkChars,
            onBatch: (batch) => batches.push(batch),
          });
          counting = false;
          // Rows cut by a chunk's end (quoted line breaks too) are read whole, on the same lines.
          expect(batched.errors).toEqual(whole.errors);
          expect(turns).toBeGreaterThanOrEqual(Math.ceil(text.length / chunkChars) - 1);
          if (whole.errors.length > 0) {
            // Nothing past the first bad row is handed over; the caller rolls back what was.
            const handed = batches.flatMap((b) => b.dates);
            expect(handed).toEqual(whole.columns.dates.slice(0, handed.length));
            return;
          }
          expect(batched.columns.dates).toEqual([]);
          for (const field of ['dates', 'clicks', 'sessions'] as const)
            expect(batches.flatMap((b): unknown[] => b[field])).toEqual(whole.columns[field]);
          // 1, 2, 4 … times the first batch, up to batchRows; the last holds what is left.
          const sizes = batches.map((b) => b.dates.length);
          const ramp = sizes.map((_, i) => Math.min(batchRows, firstBatchRows * 2 ** i));
          expect(sizes.slice(0, -1)).toEqual(ramp.slice(0, -1));
          if (sizes.length > 0) expect(sizes.at(-1)).toBeLessThanOrEqual(ramp.at(-1)!);
        },
      ),
      { numRuns: 150 },
    );
  });
});
