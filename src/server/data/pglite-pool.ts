import type { PGlite } from '@electric-sql/pglite';

/**
 * A pg.Pool look-alike over one PGlite instance, so Kysely's own Postgres driver runs on it.
 *
 * PGlite has a single session: whoever holds it owns any open transaction. `connect()` therefore
 * hands the session to one caller at a time and queues the rest, exactly like a pool of size one.
 */
export class PGlitePool {
  #tail: Promise<void> = Promise.resolve();

  constructor(readonly pglite: PGlite) {}

  /** Waits for the session, then returns a client whose `release()` hands it to the next caller. */
  async connect(): Promise<PGliteClient> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => next);
    await previous;
    return new PGliteClient(this.pglite, release);
  }

  /** Runs one statement outside any caller's transaction. */
  async query(sql: string, params?: unknown[]): Promise<PGliteResult> {
    const client = await this.connect();
    try {
      return await client.query(sql, params);
    } finally {
      client.release();
    }
  }

  async end(): Promise<void> {
    await this.#tail;
    if (!this.pglite.closed) await this.pglite.close();
  }
}

export interface PGliteResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
  command: string;
}

class PGliteClient {
  #released = false;

  constructor(
    private readonly pglite: PGlite,
    private readonly onRelease: () => void,
  ) {}

  async query(sql: string, params?: unknown[]): Promise<PGliteResult> {
    const result = await this.pglite.query<Record<string, unknown>>(sql, params as unknown[], {
      rowMode: 'object',
    });
    const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
    return { rows: result.rows, rowCount: result.affectedRows ?? null, command };
  }

  /** Runs a script of several statements (migrations). */
  async exec(sql: string): Promise<void> {
    await this.pglite.exec(sql);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.onRelease();
  }
}
