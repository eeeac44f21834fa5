import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../src/server/data/database.ts';
import { migrate } from '../../src/server/data/migrate.ts';

/**
 * Vitest global setup for the embedded suite: one migrated PGlite cluster, dumped to a file that
 * each test file's database starts from (tests/support/test-app.ts). A fresh cluster's initdb
 * costs about three seconds a file on these machines; loading the dump about one. Each file still
 * gets its own database, and `migrate` still runs on it (nothing to apply, checksums checked).
 * Nothing is done on a server run (DATABASE_URL).
 */
export default async function setup(): Promise<(() => void) | undefined> {
  if (process.env.DATABASE_URL) return undefined;
  const database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
  const dump = await database.dumpDataDir!();
  await database.close();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-pglite-template-'));
  const file = path.join(dir, 'template.tar');
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  process.env.TEST_PGLITE_TEMPLATE = file;
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
