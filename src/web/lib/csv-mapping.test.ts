import { describe, expect, it } from 'vitest';
import {
  defaultMapping,
  mappingProblems,
  previewImport,
  readCsvFile,
  remapCsv,
  type CsvFile,
} from './csv-mapping.ts';

const GA4 = [
  '# ----------------------------------------',
  '# Traffic acquisition',
  '# ----------------------------------------',
  '',
  'Date,Sessions,Conversions,Key events,Total revenue,Engagement rate',
  '20260105,"1,204",3,12.00,"$1,234.56",0.61',
  '20260106,980,1,3,"1.234",0.58',
  'Grand total,"2,184",4,15,"$2,468.56",0.6',
  '20260107,7,1,1,5.50,0.5',
].join('\r\n');

describe('the import mapping step', () => {
  it('finds the header after the comment lines and maps what it knows', () => {
    const file = readCsvFile(`\uFEFF${GA4}`) as CsvFile;
    expect(file.headerLine).toBe(5);
    expect(file.rows.map((r) => r.line)).toEqual([6, 7, 8, 9]);
    const { mapping, recognised } = defaultMapping(file.header);
    // Key events is a second conversions column: left to the user.
    expect(mapping).toEqual(['date', 'sessions', 'conversions', 'ignore', 'revenue', 'ignore']);
    expect(recognised).toEqual([true, true, true, true, true, false]);
    expect(mappingProblems(mapping)).toEqual([]);
    expect(mappingProblems(['date', 'revenue', 'revenue'])).toEqual([
      'Only one column can be revenue.',
    ]);
    expect(mappingProblems(['sessions', 'ignore'])).toEqual([
      'Choose the column that holds the date.',
    ]);
  });

  it('previews rows as they will be imported, with the file deciding an ambiguous amount', () => {
    const file = readCsvFile(GA4) as CsvFile;
    const mapping = ['date', 'sessions', 'ignore', 'conversions', 'revenue', 'ignore'] as const;
    const preview = previewImport(file, mapping, 'USD');
    expect(preview.count).toBe(3);
    expect(preview.rows[0]).toEqual({
      line: 6,
      date: '2026-01-05',
      values: { sessions: 1204, conversions: 12, revenue: 123456 },
    });
    // "1.234" on line 7: line 6 wrote decimals with ".", so it is 1.234 dollars, which cannot be.
    expect(preview.rows[1]!.values.revenue).toEqual({
      problem: '"1.234" has more than 2 decimals',
    });
    expect(preview.problems.map((p) => [p.line, p.field])).toEqual([[7, 'revenue']]);
  });

  it('replaces only the header row, so the server numbers lines as the user sees them', () => {
    const file = readCsvFile(GA4) as CsvFile;
    const sent = remapCsv(file, ['date', 'sessions', 'ignore', 'conversions', 'revenue', 'ignore']);
    const lines = sent.split('\r\n');
    expect(lines.length).toBe(GA4.split('\r\n').length);
    expect(lines[4]).toBe('date,sessions,ignore,conversions,revenue,ignore');
    expect(lines.slice(5)).toEqual(GA4.split('\r\n').slice(5));
    expect(readCsvFile('# only a comment')).toEqual({ problem: 'The file has no header row.' });
  });
});
