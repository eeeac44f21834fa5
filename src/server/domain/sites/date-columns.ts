import { sql, type AliasedRawBuilder } from 'kysely';

/**
 * A `date` column selected as its `YYYY-MM-DD` text. The embedded PGlite (0.5) ignores the
 * date type parser and returns a Date object, so dates are formatted in SQL to come back the same
 * from both backends.
 */
export function dateText<A extends string>(column: A): AliasedRawBuilder<string, A> {
  return sql<string>`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`.as(column);
}

/** The same for a nullable date column. */
export function nullableDateText<A extends string>(column: A): AliasedRawBuilder<string | null, A> {
  return sql<string | null>`to_char(${sql.ref(column)}, 'YYYY-MM-DD')`.as(column);
}
