import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { PGlitePool } from './pglite-pool.ts';
import { StatementCachingClient } from './statement-cache.ts';
import type { DB } from './schema.ts';

export type { Transaction };
export type Tx = Transaction<DB>;

/** The role every request runs as: it owns no table and cannot bypass row-level security. */
export const APP_ROLE = 'roi_app';

const OID = { int8: 20, numeric: 1700, date: 1082 } as const;

/** Values come back the same from both backends: bigint and numeric as numbers, dates as strings. */
const parseNumber = (v: string) => Number(v);
const parseDate = (v: string) => v;

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<DB>;
  /** Runs a multi-statement SQL script as the connecting (owner) role; used by migrations only. */
  execScript(script: string): Promise<void>;
  /** Runs `fn` while holding a cluster-wide lock: migrations on several processes run once. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Embedded only: the data directory as a tarball (the test suite's migrated template). */
  dumpDataDir?(): Promise<Blob>;
  /**
   * Drops, on every process, what was cached of callers in an identity namespace (`u:<user id>`,
   * `t:<tenant id>`) whose rows a transaction changed (identity-changes.ts); set by the services
   * that hold the cache, after the transaction has committed.
   */
  onIdentityChange?(namespace: string): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  /** Directory for the embedded database; `memory://` for a throwaway one. */
  dataDir: string;
  poolSize?: number;
  /**
   * Embedded only: start from this dump of a data directory (`PGlite#dumpDataDir`) instead of an
   * empty cluster. The test suite opens one database per file from a migrated template: a fresh
   * cluster's initdb costs seconds, loading a dump about one.
   */
  loadDataDir?: Blob;
}

/** Opens PostgreSQL at `databaseUrl`, or the embedded PGlite in `dataDir` when there is none. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : openPglite(options.dataDir, options.loadDataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === OID.int8 || oid === OID.numeric) return parseNumber;
      if (oid === OID.date) return parseDate;
      return pg.types.getTypeParser(oid, format);
    }) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    Client: StatementCachingClient,
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    async execScript(script) {
      const client = await pool.connect();
      try {
        await client.query(script);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async withLock(key, fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [key]);
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
        }
      } finally {
        client.release();
      }
    },
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

async function openPglite(dataDir: string, loadDataDir?: Blob): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  let releaseDirLock = () => {};
  if (!inMemory) {
    fs.mkdirSync(dataDir, { recursive: true });
    releaseDirLock = lockDataDir(dataDir);
  }
  // Options go in the one-argument form: `new PGlite(undefined, options)` drops them.
  const pglite = new PGlite({
    dataDir: inMemory ? undefined : path.join(dataDir, 'pg'),
    loadDataDir,
    parsers: { [OID.int8]: parseNumber, [OID.numeric]: parseNumber, [OID.date]: parseDate },
  });
  await pglite.waitReady;
  const pool = new PGlitePool(pglite);
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }),
  });
  return {
    kind: 'pglite',
    db,
    async execScript(script) {
      const client = await pool.connect();
      try {
        await client.exec(script);
      } catch (error) {
        await client.exec('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    // One process owns the directory (see lockDataDir), so there is nobody else to lock out.
    withLock: (_key, fn) => fn(),
    dumpDataDir: () => pglite.dumpDataDir('none'),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await db.destroy();
      releaseDirLock();
    },
  };
}

/**
 * PGlite cannot share a data directory between processes: two writers corrupt it. A lock file
 * holding our pid refuses a second process with a message instead.
 */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'roi-spectrum.pid');
  try {
    const pid = Number(fs.readFileSync(lockFile, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `DATA_DIR ${dataDir} is in use by process ${pid}. The embedded database allows one process; ` +
          'stop it, choose another DATA_DIR, or set DATABASE_URL to share a PostgreSQL server.',
      );
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.writeFileSync(lockFile, String(process.pid));
  return () => {
    try {
      if (fs.readFileSync(lockFile, 'utf8') === String(process.pid)) fs.unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
