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

/** The results pg gives a query: one, or one per statement of a multi-statement text. */
type QueryResult = pg.QueryResult | pg.QueryResult[];

/**
 * A pg client that runs repeated parameterised statements as named prepared statements, and
 * sends a transaction's BEGIN together with its first statement when it can.
 *
 * Kysely opens a transaction with `begin` on its own, a round trip before the statement that
 * sets the transaction's scope (scoped-transaction.ts). The client holds a `begin` back: a next
 * statement without parameters goes out with it as one simple query of two statements (one round
 * trip); a statement with parameters, which cannot share a message with another, goes out once
 * BEGIN has succeeded, as before. A transaction that ends before any statement never reaches
 * the server.
 */
export class StatementCachingClient extends pg.Client {
  #heldBegin = false;

  // pg's query() has many overloads; Kysely uses query(text, values) and awaits the promise.
  override query(...args: unknown[]): never {
    const run = super.query as (...a: unknown[]) => Promise<QueryResult>;
    const [text, values] = args;
    const promised = args.length === 2 && typeof text === 'string' && Array.isArray(values);
    if (this.#heldBegin) {
      this.#heldBegin = false;
      if (promised && (text === 'commit' || text === 'rollback')) {
        return Promise.resolve(emptyResult(text.toUpperCase())) as never;
      }
      if (promised && values.length === 0) {
        // pg answers a text of several statements with one result each: the caller's is the last.
        return run.call(this, `${BEGIN}${text}`).then(
          (results) => (Array.isArray(results) ? results[results.length - 1]! : results),
          (error: unknown) => {
            throw errorInCallersText(error);
          },
        ) as never;
      }
      const callback = typeof args[args.length - 1] === 'function';
      const submittable = typeof (args[0] as { submit?: unknown }).submit === 'function';
      if (callback || submittable) {
        // Their answer is not a promise that could wait for BEGIN; nothing here sends them.
        throw new Error('A transaction cannot open with a cursor or a callback query');
      }
      // BEGIN first, and the statement only once it has succeeded: never outside the transaction.
      return run.call(this, 'begin').then(() => this.query(...args)) as never;
    }
    if (!promised) return run.apply(this, args) as never;
    if (text === 'begin' && values.length === 0) {
      this.#heldBegin = true;
      return Promise.resolve(emptyResult('BEGIN')) as never;
    }
    const name = values.length ? statementName(text) : undefined;
    if (name) return run.call(this, { name, text, values }) as never;
    return run.apply(this, args) as never;
  }
}

const BEGIN = 'begin; ';

/** An error of `begin; <text>` with its position in the caller's text (the prefix taken off). */
function errorInCallersText(error: unknown): unknown {
  const e = error as { position?: string };
  if (typeof e?.position === 'string') e.position = String(Number(e.position) - BEGIN.length);
  return error;
}

function emptyResult(command: string): pg.QueryResult {
  return { command, rowCount: null, oid: 0, rows: [], fields: [] };
}
