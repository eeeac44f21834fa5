import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/server/lib/project-root.ts';
import { startSandboxServer, type SandboxServer } from '../../src/server/sandbox/sandbox-server.ts';
import { TEST_SECRET_KEY, TEST_WEBHOOK_SECRET } from '../billing/billing-harness.ts';
import { eventually, PASSWORD, uniq } from '../support/factories.ts';
import { TestClient } from '../support/test-client.ts';

/**
 * Redis is a cache and a queue, never the system of record. Two application processes (an `api`
 * and an `all`) share a fresh PostgreSQL database and a Redis server of this test's own; Redis is
 * killed, and everything a user does keeps working from PostgreSQL; then an EMPTY Redis comes
 * back on the same port and every Stripe event stored meanwhile is applied.
 */
const REDIS_SERVER = '/usr/bin/redis-server';
const ADMIN_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const skipReason = !fs.existsSync(REDIS_SERVER)
  ? `${REDIS_SERVER} is not installed`
  : !(await postgresAvailable())
    ? `no PostgreSQL server at ${ADMIN_URL}`
    : null;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A Redis of our own: empty, nothing saved to disk, evicting nothing (as BullMQ requires). */
function startRedis(port: number): ChildProcess {
  return spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
}

async function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

async function stop(child: ChildProcess | null, signal: NodeJS.Signals) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

let databaseName: string;
let databaseUrl: string;
let redisPort: number;
let redis: ChildProcess | null = null;
let stripe: SandboxServer;
const apps: { port: number; child: ChildProcess }[] = [];

function startApp(role: 'api' | 'all', port: number): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', role], {
    cwd: projectRoot(),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      PORT: String(port),
      HOST: '127.0.0.1',
      APP_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_PREFIX: `outage-${uniq()}`.slice(0, 20),
      STRIPE_SECRET_KEY: TEST_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      STRIPE_API_BASE: stripe.url,
      BILLING_SWEEP_AFTER_MS: '1000',
      BILLING_RETRY_BACKOFF_MS: '100',
      BILLING_JOB_ATTEMPTS: '20',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${role}] ${d.toString()}`));
  return child;
}

describe.skipIf(skipReason !== null)(
  `Redis down: two processes keep serving from PostgreSQL${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    beforeAll(async () => {
      databaseName = `roi_outage_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${databaseName}`);
      await admin.end();
      const url = new URL(ADMIN_URL);
      url.pathname = `/${databaseName}`;
      databaseUrl = url.href;

      redisPort = await freePort();
      redis = startRedis(redisPort);
      await eventually(() => redisAnswers(redisPort), 10_000);
      stripe = await startSandboxServer({
        secretKey: TEST_SECRET_KEY,
        webhookSecret: TEST_WEBHOOK_SECRET,
        webhookUrl: null,
      });
      // One at a time: the first migrates the fresh database.
      for (const role of ['api', 'all'] as const) {
        const port = await freePort();
        apps.push({ port, child: startApp(role, port) });
        await eventually(async () => {
          const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
          return res?.status === 200;
        }, 60_000);
      }
    }, 120_000);

    afterAll(async () => {
      for (const app of apps) await stop(app.child, 'SIGKILL');
      await stop(redis, 'SIGKILL');
      await stripe?.close();
      if (databaseName) {
        const admin = new pg.Client({ connectionString: ADMIN_URL });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
        await admin.end();
      }
    });

    it('answers reads, writes, sign-up, revocations and Stripe deliveries; applies them when an empty Redis returns', async () => {
      const [a, b] = apps.map((app) => `http://127.0.0.1:${app.port}`) as [string, string];

      // Before the outage: a workspace, an API key used (and cached) on the other process,
      // and a paid checkout whose Stripe events are held back.
      const owner = new TestClient(a);
      const signup = await owner.post('/api/v1/auth/signup', {
        email: `outage-${uniq()}@example.test`,
        password: PASSWORD,
        name: 'Owner',
      });
      expect(signup.status, signup.text).toBe(201);
      const tenant = await owner.post('/api/v1/tenants', {
        name: 'Outage',
        subdomain: `outage-${uniq()}`,
      });
      expect(tenant.status, tenant.text).toBe(201);
      owner.tenant = tenant.body.id;
      const key = await owner.post('/api/v1/api-keys', { name: 'script', role: 'member' });
      expect(key.status, key.text).toBe(201);
      const onB = new TestClient(b);
      for (let i = 0; i < 3; i++) {
        expect((await onB.get('/api/v1/tenant', { apiKey: key.body.key })).status).toBe(200);
      }
      const checkout = await owner.post('/api/v1/billing/checkout', { plan: 'pro' });
      expect(checkout.status, checkout.text).toBe(201);
      const paid = await fetch(`${checkout.body.url}/pay`, { method: 'POST', redirect: 'manual' });
      expect(paid.status).toBe(303);
      const events = stripe.sandbox.allEvents();
      expect(events.length).toBeGreaterThan(1);

      // Redis dies.
      await stop(redis, 'SIGKILL');
      redis = null;

      // Reads and writes on both processes, from PostgreSQL.
      const site = await owner.post('/api/v1/sites', { name: 'During', domain: 'during.example' });
      expect(site.status, site.text).toBe(201);
      const fromB = await onB.get(`/api/v1/sites/${site.body.id}`, { apiKey: key.body.key });
      expect(fromB.status, fromB.text).toBe(200);
      const patched = await onB.patch(
        `/api/v1/sites/${site.body.id}`,
        { name: 'Renamed during' },
        { apiKey: key.body.key },
      );
      expect(patched.status, patched.text).toBe(200);
      expect((await owner.get(`/api/v1/sites/${site.body.id}`)).body.name).toBe('Renamed during');
      const newcomer = new TestClient(b);
      const joined = await newcomer.post('/api/v1/auth/signup', {
        email: `newcomer-${uniq()}@example.test`,
        password: PASSWORD,
        name: 'Newcomer',
      });
      expect(joined.status, joined.text).toBe(201);
      expect((await newcomer.get('/api/v1/me')).status).toBe(200);

      // A revocation on one process holds on the other at once.
      const revoked = await owner.delete(`/api/v1/api-keys/${key.body.id}`);
      expect(revoked.status, revoked.text).toBe(204);
      expect((await onB.get('/api/v1/tenant', { apiKey: key.body.key })).status).toBe(401);

      // Stripe deliveries are stored and acknowledged at once, on either process.
      for (const [i, event] of events.entries()) {
        const started = performance.now();
        const status = await stripe.sandbox.deliver(
          event,
          `${i % 2 ? a : b}/api/v1/billing/webhooks/stripe`,
        );
        expect(status).toBe(200);
        expect(performance.now() - started).toBeLessThan(1_500);
      }
      const inbox = async () => {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        try {
          const { rows } = await client.query<{ id: string; status: string }>(
            'SELECT id, status FROM stripe_webhook_events WHERE id = ANY($1)',
            [events.map((e) => e.id)],
          );
          return rows;
        } finally {
          await client.end();
        }
      };
      expect((await inbox()).length).toBe(events.length);

      // Not ready, and saying why.
      for (const base of [a, b]) {
        const ready = await fetch(`${base}/readyz`);
        expect(ready.status).toBe(503);
        expect((await ready.json()).checks.redis).toBe('unavailable');
      }
      expect((await owner.get('/api/v1/billing/subscription')).body.status).not.toBe('active');

      // An empty Redis comes back on the same port: every stored event is applied.
      redis = startRedis(redisPort);
      await eventually(() => redisAnswers(redisPort), 10_000);
      await eventually(async () => {
        const rows = await inbox();
        return rows.every((r) => r.status === 'processed' || r.status === 'ignored');
      }, 60_000);
      const subscription = await owner.get('/api/v1/billing/subscription');
      expect(subscription.body).toMatchObject({ plan: 'pro', status: 'active' });
      for (const base of [a, b]) {
        await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 30_000);
      }
    }, 180_000);
  },
);
