import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/server/config.ts';
import { openDatabase, type Database } from '../../src/server/data/database.ts';
import { migrate } from '../../src/server/data/migrate.ts';
import { createHttpServer } from '../../src/server/http/app.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createServices, type AppServices } from '../../src/server/services.ts';
import { startWorker } from '../../src/server/worker/worker.ts';
import { TestClient } from './test-client.ts';

export interface TestApp {
  baseUrl: string;
  config: Config;
  services: AppServices;
  database: Database;
  /** A client with its own cookie jar. */
  client(): TestClient;
  /** Stops the worker role (to test what happens while it is down); startWorkerRole restarts it. */
  stopWorkerRole(): Promise<void>;
  startWorkerRole(): Promise<void>;
  close(): Promise<void>;
}

export interface StartTestAppOptions {
  /** Extra environment (strings, as in process.env). */
  env?: Record<string, string | undefined>;
  /** Start the worker role in the same process (default true). */
  worker?: boolean;
  /** Share a database between apps (two processes on one database). */
  database?: Database;
}

let sharedDatabase: Promise<Database> | undefined;

/**
 * The database of the test files: a fresh embedded PostgreSQL in memory, or the server named by
 * DATABASE_URL (tests build their own tenants, so they never need a clean database).
 */
export function testDatabase(): Promise<Database> {
  sharedDatabase ??= (async () => {
    const template = process.env.TEST_PGLITE_TEMPLATE; // tests/support/pglite-template.ts
    const database = await openDatabase({
      databaseUrl: process.env.DATABASE_URL,
      dataDir: 'memory://',
      poolSize: 8,
      loadDataDir:
        template && !process.env.DATABASE_URL ? new Blob([fs.readFileSync(template)]) : undefined,
    });
    await migrate(database);
    // The files of a suite share this module (isolate: false in vitest.config.ts): one that
    // closes the database leaves the next file to open a fresh one.
    const close = database.close.bind(database);
    database.close = () => {
      sharedDatabase = undefined;
      return close();
    };
    return database;
  })();
  return sharedDatabase;
}

/** Starts the whole application on a random port, as `npm start` would, against the test database. */
export async function startTestApp(options: StartTestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await testDatabase());
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: `test-${randomBytes(6).toString('hex')}`,
    RATE_LIMIT_RPM: '0',
    ...options.env,
  };
  const config = loadConfig(env as NodeJS.ProcessEnv);
  const services = await createServices(config, createLogger(config.LOG_LEVEL), { database });
  const server = createHttpServer(services);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  // APP_URL follows the random port unless a test set it.
  if (!options.env?.APP_URL) (config as { appUrl: string }).appUrl = baseUrl;
  let worker = options.worker === false ? null : await startWorker(services);

  return {
    baseUrl,
    config,
    services,
    // The services' own: a change made through it drops the callers they cache.
    database: services.database,
    client: () => new TestClient(baseUrl),
    async stopWorkerRole() {
      await worker?.stop();
      worker = null;
    },
    async startWorkerRole() {
      worker ??= await startWorker(services);
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await worker?.stop();
      await services.close();
    },
  };
}
