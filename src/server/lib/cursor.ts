import { AppError } from '../http/errors.ts';

/** Opaque keyset cursor: the sort key of the last row of a page. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor; a forged or stale one is a 400. */
export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(values) &&
      values.length === arity &&
      values.every((v) => typeof v === 'string' || typeof v === 'number')
    ) {
      return values as (string | number)[];
    }
  } catch {
    // fall through
  }
  throw new AppError('validation', 'The cursor is not valid', {
    errors: [{ path: 'cursor', message: 'Not a cursor returned by this endpoint' }],
  });
}

/**
 * Cuts a page fetched with `limit + 1` rows: returns the page and the cursor of its last row when
 * more rows follow.
 */
export function paginate<T>(
  rows: T[],
  limit: number,
  keyOf: (row: T) => (string | number)[],
): { data: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  return { data, nextCursor: encodeCursor(keyOf(data[data.length - 1]!)) };
}
