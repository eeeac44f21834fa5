import { describe, expect, it } from 'vitest';
import { parseRowErrors } from './import-errors.ts';

describe('per-row import errors', () => {
  it('reads every path style the import may use', () => {
    expect(
      parseRowErrors([
        { path: 'line 7', message: 'date: must be a date' },
        { path: 'rows.2.revenue', message: 'must not be negative' },
        { path: 'rows[3].date', message: 'invalid' },
        { path: '4', message: 'bad' },
        { path: 'body', message: 'The CSV is empty' },
      ]),
    ).toEqual([
      { line: 7, field: null, message: 'date: must be a date' },
      { line: 2, field: 'revenue', message: 'must not be negative' },
      { line: 3, field: 'date', message: 'invalid' },
      { line: 4, field: null, message: 'bad' },
      { line: null, field: 'body', message: 'The CSV is empty' },
    ]);
  });
});
