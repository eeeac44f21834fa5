import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayLiteral } from '../../src/server/data/array-literal.ts';
import type { Database } from '../../src/server/data/database.ts';
import { testDatabase } from '../support/test-app.ts';

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});

/** The array the database reads from a literal, element by element as text (null stays null). */
async function readBack(literal: string, type: 'text' | 'bigint' | 'numeric' | 'date') {
  const cast = sql.raw(`${type}[]`);
  const result = await sql<{ v: string | null }>`
    SELECT u.v::text AS v FROM unnest(${literal}::text::${cast}) WITH ORDINALITY AS u(v, i) ORDER BY i`.execute(
    database.db,
  );
  return result.rows.map((r) => r.v);
}

describe('arrayLiteral', () => {
  it('round-trips any text, including quotes, backslashes, braces, commas and the word NULL', async () => {
    const values = [
      'plain',
      'a "quoted" word',
      'back\\slash',
      '{braces}',
      'a,b',
      'NULL',
      '',
      ' x ',
    ];
    expect(await readBack(arrayLiteral([...values, null]), 'text')).toEqual([...values, null]);
  });

  it('round-trips numbers and dates exactly as the import binds them', async () => {
    expect(await readBack(arrayLiteral([0, 9_007_199_254_740_991, null]), 'bigint')).toEqual([
      '0',
      '9007199254740991',
      null,
    ]);
    expect(await readBack(arrayLiteral([8.91, 1e6, 0.0001]), 'numeric')).toEqual([
      '8.91',
      '1000000',
      '0.0001',
    ]);
    expect(await readBack(arrayLiteral(['2024-02-29', null]), 'date')).toEqual([
      '2024-02-29',
      null,
    ]);
  });

  it('refuses a number the database would misread', () => {
    expect(() => arrayLiteral([Number.NaN])).toThrow(RangeError);
    expect(() => arrayLiteral([Infinity])).toThrow(RangeError);
  });
});
