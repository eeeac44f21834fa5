import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { isAllowedYear } from '../../shared/schemas/common.ts';
import { AppError } from '../errors.ts';

/** Opaque keyset cursor: the sort key of the last row of a page. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** What one position of a cursor holds, checked before it reaches SQL. */
export type CursorKind = 'timestamp' | 'date' | 'uuid' | 'text' | 'integer';

type CursorValue<K extends CursorKind> = K extends 'timestamp'
  ? Date
  : K extends 'integer'
    ? number
    : string;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function checked(kind: CursorKind, value: unknown): Date | string | number | undefined {
  switch (kind) {
    case 'timestamp': {
      if (typeof value !== 'string') return undefined;
      const at = new Date(value);
      // The same years as any input date: 0000 or +275760 would reach SQL and fail there.
      return Number.isNaN(at.getTime()) || !isAllowedYear(at.getUTCFullYear()) ? undefined : at;
    }
    case 'date':
      return typeof value === 'string' &&
        DATE_RE.test(value) &&
        !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
        isAllowedYear(Number(value.slice(0, 4)))
        ? value
        : undefined;
    case 'uuid':
      return typeof value === 'string' && UUID_RE.test(value) ? value : undefined;
    case 'text':
      return typeof value === 'string' && value.length <= 255 && !value.includes('\u0000')
        ? value
        : undefined;
    case 'integer':
      return Number.isSafeInteger(value) ? (value as number) : undefined;
  }
}

/**
 * Decodes a cursor made by encodeCursor, each position checked against its kind: a forged or
 * stale cursor is a 400, never a value the database would refuse.
 */
export function decodeCursor<const K extends readonly CursorKind[]>(
  cursor: string,
  kinds: K,
): { [I in keyof K]: CursorValue<K[I]> } {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === kinds.length) {
      const out = kinds.map((kind, i) => checked(kind, values[i]));
      if (out.every((v) => v !== undefined)) return out as { [I in keyof K]: CursorValue<K[I]> };
    }
  } catch {
    // fall through
  }
  throw new AppError('validation', 'The cursor is not valid', {
    errors: [{ path: 'cursor', message: 'Not a cursor returned by this endpoint' }],
  });
}

/**
 * The keyset condition for the page after `cursor` when rows are ordered by (sort column, id
 * column), both ascending or both descending: `(sort, id) > (…)`, or `<` for descending pages.
 */
export function afterCursor(
  cursor: string,
  sort: [column: string, kind: 'timestamp' | 'date'],
  id: [column: string, kind: 'uuid' | 'text'],
  order: 'asc' | 'desc',
): RawBuilder<SqlBool> {
  const [at, lastId] = decodeCursor(cursor, [sort[1], id[1]] as const);
  return sql<SqlBool>`(${sql.ref(sort[0])}, ${sql.ref(id[0])}) ${sql.raw(order === 'asc' ? '>' : '<')} (${at}, ${lastId})`;
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
