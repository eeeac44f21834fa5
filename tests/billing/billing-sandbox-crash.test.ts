import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDataDir, appProcess, type AppProcess } from '../support/app-process.ts';
import { PASSWORD, uniq } from '../support/factories.ts';
import { TestClient } from '../support/test-client.ts';

/**
 * The app with its own sandbox (no Stripe keys, development mode, state in DATA_DIR) is killed
 * with SIGKILL right after checkouts created Stripe customers. The ids the app stored must still
 * be known to the sandbox after the restart: a later checkout works instead of answering 502.
 */
const WORKSPACES = 4;
let dataDir: string;
let app: AppProcess;

function childEnv(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: `http://127.0.0.1:${port}`,
    RATE_LIMIT_RPM: '0',
    DATA_DIR: dataDir,
  };
}

beforeAll(async () => {
  dataDir = await appDataDir('roi-sandbox-crash-');
  app = await appProcess({ env: childEnv, readyTimeoutMs: 60_000 });
  await app.start();
}, 90_000);

afterAll(async () => {
  await app?.stop('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the app with its own sandbox, killed with SIGKILL during checkouts', () => {
  it('every customer id the app stored is still known to the sandbox after a restart', async () => {
    const base = app.baseUrl;
    const clients: TestClient[] = [];
    for (let i = 0; i < WORKSPACES; i++) {
      const client = new TestClient(base);
      const signup = await client.post('/api/v1/auth/signup', {
        email: `sbx-${uniq()}@example.test`,
        password: PASSWORD,
        name: 'S',
      });
      expect(signup.status, signup.text).toBe(201);
      const t = await client.post('/api/v1/tenants', {
        name: `Sbx ${i}`,
        subdomain: `sbx-${uniq()}`,
      });
      expect(t.status, t.text).toBe(201);
      client.tenant = t.body.id;
      clients.push(client);
    }
    // First checkouts (each creates the workspace's customer); kill -9 as soon as one has
    // answered, while the others are still on their way (the sandbox wrote its state lazily).
    const first = clients.map((c) => c.post('/api/v1/billing/checkout', { plan: 'starter' }));
    const answered = await Promise.any(first);
    expect(answered.status, answered.text).toBe(201);
    await app.stop('SIGKILL');
    await Promise.allSettled(first);
    await app.start();
    for (const client of clients) {
      const again = await client.post('/api/v1/billing/checkout', { plan: 'pro' });
      expect(again.status, again.text).toBe(201);
      const page = await fetch(again.body.url);
      expect(page.status).toBe(200);
    }
  }, 180_000);
});
