import { describe, expect, it } from 'vitest';
import { parseRowErrors } from './import-errors.ts';

describe('per-row import errors', () => {
  it('reads every path style the import may use, and names a field in every row', () => {
    expect(
      parseRowErrors([
        { path: 'line 7', message: 'date: must be a date' },
        { path: 'rows.2.revenue', message: 'must not be negative' },
        { path: 'rows[3].date', message: 'invalid' },
        { path: '4', message: 'bad' },
        { path: 'body', message: 'The CSV is empty' },
        { path: 'line 9', message: 'sessions: "x" must be a number; clicks: "y" must be a number' },
        { path: 'line 1', message: 'no date column. Columns: date, sessions' },
        { path: 'line 5', message: 'has 2 fields; the header has 3' },
        { path: '', message: 'too many rows' },
      ]),
    ).toEqual([
      { line: 7, field: 'date', message: 'must be a date' },
      { line: 2, field: 'revenue', message: 'must not be negative' },
      { line: 3, field: 'date', message: 'invalid' },
      { line: 4, field: 'whole row', message: 'bad' },
      { line: null, field: 'body', message: 'The CSV is empty' },
      { line: 9, field: 'sessions', message: '"x" must be a number' },
      { line: 9, field: 'clicks', message: '"y" must be a number' },
      { line: 1, field: 'header row', message: 'no date column. Columns: date, sessions' },
      { line: 5, field: 'whole row', message: 'has 2 fields; the header has 3' },
      { line: null, field: 'file', message: 'too many rows' },
    ]);
  });
});
