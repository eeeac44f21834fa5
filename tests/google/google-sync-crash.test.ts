import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimalToMinor } from '../../src/server/domain/google/sync-site.ts';
import { addDays } from '../../src/server/domain/reports/periods.ts';
import { appDataDir, appProcess, type AppProcess } from '../support/app-process.ts';
import { eventually, PASSWORD, uniq } from '../support/factories.ts';
import { startGoogleServer, type GoogleTestServer } from '../support/google-server.ts';
import { TestClient } from '../support/test-client.ts';

/**
 * The app is killed with SIGKILL in the middle of a site's backfill from a Google-compatible
 * server. Restarted, it resumes the sync once the dead worker's lease runs out, and every day of
 * the range ends stored once: none lost, none doubled (search terms summed over the range equal
 * Google's). On the embedded database (its own, in DATA_DIR) the worker runs in the app's one
 * process; on PostgreSQL + Redis (`npm run test:server`: DATABASE_URL and REDIS_URL) `all` runs
 * the worker in a child process, and the whole process group is killed, the syncing worker with
 * it: its BullMQ job is left active under a dead lock until BullMQ takes it back.
 */
const SC = 'https://www.example.com/';
const GA = '310000001';
const FROM = '2025-07-01';
const TO = '2025-12-31';
let dataDir: string;
let google: GoogleTestServer;
let app: AppProcess;
const server = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const redisPrefix = `test-crash-${uniq()}`;

function childEnv(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...(server
      ? {
          DATABASE_URL: process.env.DATABASE_URL,
          REDIS_URL: process.env.REDIS_URL,
          REDIS_PREFIX: redisPrefix,
        }
      : {}),
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: `http://127.0.0.1:${port}`,
    RATE_LIMIT_RPM: '0',
    DATA_DIR: dataDir,
    SANDBOXES: 'off',
    GOOGLE_SYNC_LEASE_MS: '1500',
    GOOGLE_SYNC_SWEEP_MS: '300',
    ...google.env,
  };
}

beforeAll(async () => {
  google = await startGoogleServer({ termsPerDay: 5 });
  dataDir = await appDataDir('roi-google-crash-');
  // A fresh embedded database (a server run has no migrated template) migrates first: slow on a
  // loaded machine.
  app = await appProcess({ env: childEnv, readyTimeoutMs: 180_000 });
  await app.start();
}, 200_000);

afterAll(async () => {
  await app?.stop('SIGKILL');
  await google.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('a sync killed with SIGKILL midway', () => {
  it('resumes after a restart and neither loses nor doubles a day', async () => {
    const client = new TestClient(app.baseUrl);
    const signup = await client.post('/api/v1/auth/signup', {
      email: `crash-${uniq()}@example.test`,
      password: PASSWORD,
      name: 'C',
    });
    expect(signup.status, signup.text).toBe(201);
    const t = await client.post('/api/v1/tenants', { name: 'Crash', subdomain: `crash-${uniq()}` });
    expect(t.status, t.text).toBe(201);
    client.tenant = t.body.id;
    const start = await client.post('/api/v1/integrations/google');
    expect(start.status, start.text).toBe(201);
    const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!);
    const connected = await client.get(`${back.pathname}${back.search}`);
    expect(connected.status, connected.text).toBe(303);
    const integrationId = new URL(connected.headers.get('location')!).searchParams.get('connected');
    const site = await client.post('/api/v1/sites', { name: 'Shop', domain: 'www.example.com' });
    const link = await client.put(`/api/v1/sites/${site.body.id}/sources`, {
      integrationId,
      searchConsoleProperty: SC,
      analyticsPropertyId: GA,
    });
    expect(link.status, link.text).toBe(200);

    // Slow Google down so that the kill lands between chunks of days.
    google.fake.delayMs = 250;
    const sync = await client.post(`/api/v1/sites/${site.body.id}/sync`, { from: FROM, to: TO });
    expect(sync.status, sync.text).toBe(202);
    const midway = await eventually(async () => {
      const s = await client.get(`/api/v1/sites/${site.body.id}/sync`);
      return s.body.progress.done > 0 ? s.body : null;
    }, 120_000);
    expect(midway.progress.done).toBeLessThan(midway.progress.total);
    await app.stop('SIGKILL');

    google.fake.delayMs = 0;
    await app.start();
    const done = await eventually(async () => {
      const s = await client.get(`/api/v1/sites/${site.body.id}/sync`);
      return s.body.status === 'idle' ? s.body : null;
    }, 120_000);
    expect(done).toMatchObject({
      progress: { done: 184, total: 184 },
      syncedThrough: TO,
      lastError: null,
    });

    const metrics = await client.get(
      `/api/v1/sites/${site.body.id}/metrics?from=${FROM}&to=${TO}&limit=200`,
    );
    expect(metrics.body.data).toHaveLength(184);
    for (const m of metrics.body.data) {
      expect(m.clicks).toBe(google.fake.siteDay(SC, m.date).clicks);
      expect(m.revenue).toBe(decimalToMinor(google.fake.analyticsDay(GA, m.date, true).revenue, 2));
    }
    // Search terms over the whole range: each day counted exactly once.
    let expectedClicks = 0;
    for (let d = FROM; d <= TO; d = addDays(d, 1)) {
      for (let i = 0; i < 5; i++) expectedClicks += google.fake.termDay(SC, d, 'query', i).clicks;
    }
    const terms = await client.get(
      `/api/v1/sites/${site.body.id}/search-terms?from=${FROM}&to=${TO}`,
    );
    expect(terms.body.data.reduce((s: number, t: { clicks: number }) => s + t.clicks, 0)).toBe(
      expectedClicks,
    );
  }, 400_000);
});
