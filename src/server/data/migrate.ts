import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/project-root.ts';
import type { Database } from './database.ts';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'migrations');

export interface MigrationFile {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

/** Reads `NNNN_name.sql` files in version order. */
export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/**
 * Applies pending migrations, each in its own transaction, under a cluster-wide lock so that
 * several processes starting together apply each migration once. A changed applied migration
 * stops the start: migrations are append-only.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = readMigrations(dir);
  return database.withLock('roi-spectrum:migrations', async () => {
    await database.execScript(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await database.db
      .selectFrom('schema_migrations')
      .select(['version', 'name', 'checksum'])
      .execute();
    const byVersion = new Map(applied.map((m) => [m.version, m]));
    const ran: string[] = [];
    for (const file of files) {
      const done = byVersion.get(file.version);
      if (done) {
        if (done.checksum !== file.checksum) {
          throw new Error(
            `Migration ${file.version}_${file.name} changed after it was applied; add a new migration instead.`,
          );
        }
        continue;
      }
      const record = `INSERT INTO schema_migrations (version, name, checksum) VALUES ('${file.version}', '${file.name}', '${file.checksum}');`;
      await database.execScript(`BEGIN;\n${file.sql}\n;${record}\nCOMMIT;`);
      ran.push(`${file.version}_${file.name}`);
    }
    return ran;
  });
}
