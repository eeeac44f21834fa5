import pg from 'pg';

/**
 * Server-side prepared statements for the statements this process runs again and again.
 *
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans it on each execution. For
 * the ROI report that planning (row-level security on five table references) costs more than
 * running it. A statement text seen a second time gets a process-wide name instead; pg then
 * parses it once per connection, and PostgreSQL keeps its plan for the session (switching to a
 * generic plan only when that is no dearer than the custom ones, `plan_cache_mode = auto`).
 *
 * Left unnamed: statements without parameters (BEGIN, COMMIT, scripts), texts beyond
 * MAX_NAMED (a text per IN-list length must not grow without bound), and wildcard selections
 * (`select *`, `returning *`): their result shape follows the table, so a column added by a
 * migration while this process runs would fail a cached plan ("cached plan must not change
 * result type") on every later use of that connection.
 */
export const MAX_NAMED = 500;
const MAX_SEEN = 5_000;

const WILDCARD = /(?:^|[\s,(])(?:"[^"]+"\.)?\*\s*(?:,|from\b|$)/i;

const names = new Map<string, string>();
let seenOnce = new Set<string>();

/** The name `text` runs under, or undefined to run it unnamed. */
export function statementName(text: string): string | undefined {
  const known = names.get(text);
  if (known !== undefined) return known;
  if (names.size >= MAX_NAMED || WILDCARD.test(text)) return undefined;
  if (!seenOnce.has(text)) {
    if (seenOnce.size >= MAX_SEEN) seenOnce = new Set();
    seenOnce.add(text);
    return undefined;
  }
  seenOnce.delete(text);
  const name = `roi_s${names.size}`;
  names.set(text, name);
  return name;
}

/** A pg client that runs repeated parameterised statements as named prepared statements. */
export class StatementCachingClient extends pg.Client {
  // pg's query() has many overloads; Kysely uses query(text, values) and awaits the promise.
  override query(...args: unknown[]): never {
    const run = super.query as (...a: unknown[]) => never;
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length) {
      const name = statementName(text);
      if (name) return run.call(this, { name, text, values });
    }
    return run.apply(this, args);
  }
}
