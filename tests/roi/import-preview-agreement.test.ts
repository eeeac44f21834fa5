import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsvImport } from '../../src/server/domain/metrics/parse-metric-rows.ts';
import { previewImport, readCsvFile, type CsvFile } from '../../src/web/lib/csv-mapping.ts';

/**
 * The web app's preview promises to show the rows exactly as the server will import them: for
 * files of every accepted shape (and many bad cells), the browser's reading and the server's agree
 * on every problem (line and field) and, when there is none, on every value.
 */
const date = fc
  .tuple(fc.constant(2026), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 31 }))
  .chain(([y, m, d]) =>
    fc.constantFrom(
      `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
      `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`,
      `${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][m - 1]} ${d}, ${y}`,
      `${d}/${m}/${y}`,
    ),
  );
const amount = fc.oneof(
  fc
    .nat({ max: 10_000_000 })
    .map((c) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`),
  fc
    .nat({ max: 10_000_000 })
    .map((c) =>
      new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(c / 100),
    ),
  fc
    .nat({ max: 10_000_000 })
    .map((c) =>
      new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'USD' }).format(c / 100),
    ),
  fc.constantFrom('1,234', '1.234', '12,5', '€5', '-3', 'x', '0.125', ''),
);
const count = fc.oneof(
  fc.nat({ max: 5_000_000 }).map(String),
  fc.nat({ max: 5_000_000 }).map((n) => n.toLocaleString('en-US')),
  fc.constantFrom('12.00', '3.5', '1.234', 'n/a', ''),
);
const position = fc.oneof(
  fc.double({ min: 1, max: 100, noNaN: true }).map((p) => p.toFixed(2)),
  fc.constantFrom('8,913', '1.5', ''),
);
const quote = (cell: string) => (/[",\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

describe('import preview and server import agree', () => {
  it('on every problem and every value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(date, count, count, amount, position), { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (rows, preamble) => {
          const text = [
            ...(preamble ? ['# GA4 export', '#'] : []),
            'Date,Sessions,Key events,Total revenue,Average Position',
            ...rows.map((r) => r.map(quote).join(',')),
          ].join('\n');
          const server = await parseCsvImport(Buffer.from(text), 'USD');
          const file = readCsvFile(text) as CsvFile;
          const mapping = ['date', 'sessions', 'conversions', 'revenue', 'position'] as const;
          const preview = previewImport(file, mapping, 'USD', Infinity);
          const previewPaths = preview.problems.map((p) =>
            (p.field as string) === 'row' ? `line ${p.line}` : `line ${p.line}.${p.field}`,
          );
          expect(previewPaths).toEqual(server.errors.map((e) => e.path));
          if (server.errors.length > 0) return;
          expect(preview.rows.map((r) => r.date)).toEqual(server.columns.dates);
          for (const f of ['sessions', 'conversions', 'revenue', 'position'] as const)
            expect(preview.rows.map((r) => r.values[f] ?? null)).toEqual(server.columns[f]);
        },
      ),
      { numRuns: 400 },
    );
  });
});
