import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/server/lib/project-root.ts';
import { eventually, PASSWORD, uniq } from '../support/factories.ts';
import { TestClient } from '../support/test-client.ts';

/**
 * The app with its own sandbox (no Stripe keys, development mode, state in DATA_DIR) is killed
 * with SIGKILL right after checkouts created Stripe customers. The ids the app stored must still
 * be known to the sandbox after the restart: a later checkout works instead of answering 502.
 */
const WORKSPACES = 4;
let port: number;
let dataDir: string;
let child: ChildProcess | null = null;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function startChild(): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', 'all'], {
    cwd: projectRoot(),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      PORT: String(port),
      HOST: '127.0.0.1',
      APP_URL: `http://127.0.0.1:${port}`,
      RATE_LIMIT_RPM: '0',
      DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  c.stderr?.on('data', (d: Buffer) => process.stderr.write(`[child] ${d.toString()}`));
  return c;
}

async function waitReady() {
  await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    return res?.status === 200;
  }, 60_000);
}

async function stopChild(signal: NodeJS.Signals) {
  const c = child;
  child = null;
  if (!c || c.exitCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  await exited;
}

beforeAll(async () => {
  port = await freePort();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-sandbox-crash-'));
  child = startChild();
  await waitReady();
}, 90_000);

afterAll(async () => {
  await stopChild('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the app with its own sandbox, killed with SIGKILL during checkouts', () => {
  it('every customer id the app stored is still known to the sandbox after a restart', async () => {
    const base = `http://127.0.0.1:${port}`;
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
    await stopChild('SIGKILL');
    await Promise.allSettled(first);
    child = startChild();
    await waitReady();
    for (const client of clients) {
      const again = await client.post('/api/v1/billing/checkout', { plan: 'pro' });
      expect(again.status, again.text).toBe(201);
      const page = await fetch(again.body.url);
      expect(page.status).toBe(200);
    }
  }, 180_000);
});
