import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/server/data/database.ts';
import { StatementCachingClient, statementName } from '../../src/server/data/statement-cache.ts';

const uniq = () => randomBytes(4).toString('hex');

describe('statement names', () => {
  it('names a parameterised text from its second use on, the same name every time', () => {
    const text = `SELECT $1::int AS n /* ${uniq()} */`;
    expect(statementName(text)).toBeUndefined();
    const name = statementName(text);
    expect(name).toMatch(/^roi_s\d+$/);
    expect(statementName(text)).toBe(name);
    expect(statementName(`SELECT $1::int AS m /* ${uniq()} */`)).toBeUndefined();
  });

  it('never names a wildcard selection, whose result shape follows the table', () => {
    const t = `"t_${uniq()}"`;
    for (const text of [
      `select * from ${t} where "id" = $1`,
      `select ${t}.* from ${t} where "id" = $1`,
      `update ${t} set "name" = $1 returning *`,
    ]) {
      statementName(text);
      expect(statementName(text), text).toBeUndefined();
    }
    const arithmetic = `select count(*), sum(position * impressions) from m where t = $1 -- ${uniq()}`;
    statementName(arithmetic);
    expect(statementName(arithmetic)).toBeDefined();
  });
});

const url = process.env.DATABASE_URL;

describe.runIf(url)('prepared statements on a PostgreSQL server', () => {
  let database: Database;
  const table = `stmt_cache_${uniq()}`;

  beforeAll(async () => {
    database = await openDatabase({ databaseUrl: url, dataDir: 'memory://', poolSize: 1 });
    await sql.raw(`CREATE TABLE ${table} (id int PRIMARY KEY, name text)`).execute(database.db);
    await sql.raw(`INSERT INTO ${table} VALUES (1, 'one'), (2, 'two')`).execute(database.db);
  });

  afterAll(async () => {
    await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(database.db);
    await database.close();
  });

  const prepared = async () =>
    (
      await sql<{
        statement: string;
      }>`SELECT statement FROM pg_prepared_statements WHERE statement LIKE ${`%${table}%`}`.execute(
        database.db,
      )
    ).rows.map((r) => r.statement);

  it('prepares a repeated statement once per connection and keeps its results right', async () => {
    const nameOf = async (id: number) =>
      (
        await sql<{
          name: string;
        }>`SELECT name FROM ${sql.table(table)} WHERE id = ${id}`.execute(database.db)
      ).rows[0]?.name;
    const names = [];
    for (const id of [1, 2, 1, 2]) names.push(await nameOf(id));
    expect(names).toEqual(['one', 'two', 'one', 'two']);
    expect((await prepared()).filter((s) => s.startsWith('SELECT name'))).toHaveLength(1);
  });

  it('leaves wildcard selections unprepared, so a column added later changes nothing', async () => {
    const all = () => sql.raw<{ id: number }>(`SELECT * FROM ${table} WHERE id > 0`);
    // sql.raw has no parameters; the same wildcard text with one goes through the cache check.
    const allWith = (min: number) =>
      sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} WHERE id > ${min}`.execute(
        database.db,
      );
    await all().execute(database.db);
    await allWith(0);
    await allWith(0);
    expect((await prepared()).some((s) => s.includes('SELECT *'))).toBe(false);
    await sql.raw(`ALTER TABLE ${table} ADD COLUMN extra int`).execute(database.db);
    const after = await allWith(0);
    expect(Object.keys(after.rows[0]!)).toContain('extra');
  });
});

describe.runIf(url)('a held BEGIN on a PostgreSQL server', () => {
  let db: Kysely<Record<string, { id: number }>>;
  /** Round trips of the pool's one client: each ends with the server's ReadyForQuery. */
  let roundTrips = 0;
  const table = `held_begin_${uniq()}`;
  const ids = async () =>
    (
      await sql<{ id: number }>`SELECT id FROM ${sql.table(table)} ORDER BY id`.execute(db)
    ).rows.map((r) => r.id);
  /** The round trips `fn` takes. */
  const tripsOf = async (fn: () => Promise<unknown>) => {
    const before = roundTrips;
    await fn();
    return roundTrips - before;
  };

  beforeAll(async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1, Client: StatementCachingClient });
    pool.on('connect', (client) => {
      const connection = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
      connection.on('readyForQuery', () => roundTrips++);
    });
    db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    await sql.raw(`CREATE TABLE ${table} (id int PRIMARY KEY)`).execute(db);
  });

  afterAll(async () => {
    await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(db);
    await db.destroy();
  });

  it('sends BEGIN with a first statement without parameters: one round trip fewer, one transaction', async () => {
    const trips = await tripsOf(() =>
      db.transaction().execute(async (tx) => {
        await sql.raw(`SELECT set_config('app.probe', 'inside', true)`).execute(tx);
        // Transaction-local: still set only if BEGIN went out with the statement before.
        const { rows } = await sql<{
          v: string;
        }>`SELECT current_setting('app.probe', true) AS v`.execute(tx);
        expect(rows[0]!.v).toBe('inside');
      }),
    );
    expect(trips).toBe(3); // begin + set_config, current_setting, commit
    await expect(
      db.transaction().execute(async (tx) => {
        await sql.raw(`INSERT INTO ${table} VALUES (1)`).execute(tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await ids()).toEqual([]);
  });

  it('sends BEGIN on its own before a first statement with parameters', async () => {
    const trips = await tripsOf(() =>
      db.transaction().execute(async (tx) => {
        await sql`INSERT INTO ${sql.table(table)} VALUES (${2})`.execute(tx);
      }),
    );
    expect(trips).toBe(3); // begin, insert, commit
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`INSERT INTO ${sql.table(table)} VALUES (${3})`.execute(tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await ids()).toEqual([2]);
  });

  it('sends BEGIN first before a query given as a config object, and refuses a cursor', async () => {
    const client = new StatementCachingClient({ connectionString: url });
    await client.connect();
    try {
      await client.query('begin', []); // held back
      await client.query({ text: `SELECT set_config('app.probe', 'inside', true)` });
      // Transaction-local: still set only if BEGIN went out before the statement.
      const { rows } = (await client.query({
        text: `SELECT current_setting('app.probe', true) AS v`,
      })) as pg.QueryResult<{ v: string }>;
      expect(rows[0]!.v).toBe('inside');
      await client.query('rollback', []);
      await client.query('begin', []);
      const cursor = { submit: () => undefined, handleReadyForQuery: () => undefined };
      expect(() => client.query(cursor as never)).toThrow(/cannot open with a cursor/);
    } finally {
      await client.end();
    }
  });

  it("reports an error in the first statement at its place in the caller's text", async () => {
    await expect(
      db.transaction().execute((tx) => sql.raw(`SELECT no_such_column`).execute(tx)),
    ).rejects.toMatchObject({ position: '8' });
  });

  it('sends nothing for a transaction that runs no statement', async () => {
    expect(await tripsOf(() => db.transaction().execute(async () => undefined))).toBe(0);
    await expect(
      db.transaction().execute(async () => {
        throw new Error('nothing to roll back');
      }),
    ).rejects.toThrow('nothing to roll back');
    // The connection is not left in a transaction: this statement's own began with it.
    const { rows } = await sql<{ fresh: boolean }>`
      SELECT xact_start = statement_timestamp() AS fresh
      FROM pg_stat_activity WHERE pid = pg_backend_pid()`.execute(db);
    expect(rows[0]!.fresh).toBe(true);
  });

  it('reports an aborted transaction at COMMIT, as without a held BEGIN', async () => {
    await expect(
      db.transaction().execute(async (tx) => {
        await sql.raw(`SELECT 1`).execute(tx);
        await sql
          .raw(`SELECT 1/0`)
          .execute(tx)
          .catch(() => undefined);
      }),
    ).rejects.toThrow();
    expect(await ids()).toEqual([2]);
  });
});
