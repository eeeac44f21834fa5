import fs from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/server/data/database.ts';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { stripeEventRefs } from '../../src/server/domain/billing/stripe-event-refs.ts';
import { startSandboxServer, type SandboxServer } from '../../src/server/sandbox/sandbox-server.ts';
import type { SandboxEvent } from '../../src/server/sandbox/sandbox-state.ts';
import { appDataDir, appProcess, type AppProcess } from '../support/app-process.ts';
import { eventually, PASSWORD, uniq } from '../support/factories.ts';
import { testDatabase } from '../support/test-app.ts';
import { TestClient } from '../support/test-client.ts';
import { shuffle, TEST_SECRET_KEY, TEST_WEBHOOK_SECRET } from './billing-harness.ts';

/**
 * The application runs in a child process (`node --import tsx src/server/main.ts`, API + worker),
 * is killed with SIGKILL while it is processing Stripe events, and restarted. On the PostgreSQL +
 * Redis backend the Redis keys of the run are also deleted mid-stream (the run's own prefix, not
 * FLUSHALL: other suites may share the Redis server). On the embedded backend the child owns the
 * PGlite directory, and its in-process queue dies with it, which is that backend's "flush".
 * Either way, after the restart every event is applied exactly once.
 */
const server = Boolean(process.env.DATABASE_URL);
const TENANTS = 12;

let stripe: SandboxServer;
let dataDir: string;
const redisPrefix = `crash-${uniq()}`;
let app: AppProcess;

function childEnv(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: `http://127.0.0.1:${port}`,
    RATE_LIMIT_RPM: '0',
    STRIPE_SECRET_KEY: TEST_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    STRIPE_API_BASE: stripe.url,
    BILLING_SWEEP_AFTER_MS: '1500',
    BILLING_RETRY_BACKOFF_MS: '100',
    BILLING_JOB_ATTEMPTS: '20',
    ...(server
      ? {
          DATABASE_URL: process.env.DATABASE_URL,
          REDIS_URL: process.env.REDIS_URL,
          REDIS_PREFIX: redisPrefix,
        }
      : { DATA_DIR: dataDir }),
  };
}

beforeAll(async () => {
  stripe = await startSandboxServer({
    secretKey: TEST_SECRET_KEY,
    webhookSecret: TEST_WEBHOOK_SECRET,
    webhookUrl: null,
  });
  dataDir = await appDataDir('roi-billing-crash-');
  app = await appProcess({ env: childEnv, readyTimeoutMs: 60_000 });
  await app.start();
}, 90_000);

afterAll(async () => {
  await app?.stop('SIGKILL');
  await stripe.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const base = () => app.baseUrl;

describe(`worker killed with SIGKILL mid-processing${server ? ', Redis flushed mid-stream' : ''}`, () => {
  it('after a restart every event is applied exactly once', async () => {
    // Workspaces that each paid a Pro checkout; the sandbox holds their events back.
    const tenants: { id: string; client: TestClient; customer: string }[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const client = new TestClient(base());
      const signup = await client.post('/api/v1/auth/signup', {
        email: `crash-${uniq()}@example.test`,
        password: PASSWORD,
        name: 'C',
      });
      expect(signup.status, signup.text).toBe(201);
      const t = await client.post('/api/v1/tenants', {
        name: `Crash ${i}`,
        subdomain: `crash-${uniq()}`,
      });
      expect(t.status, t.text).toBe(201);
      client.tenant = t.body.id;
      const checkout = await client.post('/api/v1/billing/checkout', { plan: 'pro' });
      expect(checkout.status, checkout.text).toBe(201);
      const paid = await fetch(`${checkout.body.url}/pay`, { method: 'POST', redirect: 'manual' });
      expect(paid.status).toBe(303);
      tenants.push({
        id: t.body.id,
        client,
        customer: String(stripe.sandbox.checkoutSession(checkout.body.id).customer),
      });
    }
    const events: SandboxEvent[] = stripe.sandbox
      .allEvents()
      .filter((e) => e.type !== 'customer.created');
    const webhook = `${base()}/api/v1/billing/webhooks/stripe`;
    const delivered = new Set<string>();
    /** 16 concurrent senders; a delivery that fails (the process died) is retried later, like Stripe. */
    const deliverAll = async (list: SandboxEvent[]) => {
      const queue = [...list];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let e = queue.shift(); e; e = queue.shift()) {
            const status = await stripe.sandbox.deliver(e, webhook).catch(() => 0);
            if (status === 200) delivered.add(e.id);
          }
        }),
      );
    };
    const activeCount = async () => {
      let n = 0;
      for (const t of tenants) {
        const res = await t.client.get('/api/v1/billing/subscription');
        if (res.body.status === 'active') n++;
      }
      return n;
    };

    // Phase 1: slow Stripe reads so processing is still running when the process dies, and the
    // subscriptions of a few workspaces failing (their jobs retrying) until the restart: the kill
    // then always falls mid-processing, however slow the machine is.
    stripe.sandbox.latencyMs = 400;
    const held = tenants.slice(-3).map((t) => {
      const sub = stripe.sandbox.listSubscriptions({ customer: t.customer, status: 'all' })[0]!;
      return sub.id;
    });
    for (const id of held) stripe.sandbox.failingObjects.add(id);
    const shuffled = shuffle(events);
    const firstPart = shuffled.slice(0, Math.ceil(shuffled.length * 0.6));
    const sending = deliverAll(firstPart);
    if (server) {
      // Redis loses the queued jobs of this run while deliveries are still coming in.
      await eventually(async () => delivered.size >= 10, 30_000);
      const redis = new Redis(process.env.REDIS_URL!);
      const keys = await redis.keys(`${redisPrefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    }
    const activeAtKill = await eventually(async () => {
      const n = await activeCount();
      return n >= 1 && n;
    }, 30_000);
    await app.stop('SIGKILL');
    await sending;
    expect(activeAtKill).toBeLessThanOrEqual(TENANTS - held.length);

    // Phase 2: restart; what was not delivered arrives, with duplicates of what was.
    stripe.sandbox.latencyMs = 0;
    for (const id of held) stripe.sandbox.failingObjects.delete(id);
    await app.start();
    const again = shuffle([
      ...events.filter((e) => !delivered.has(e.id)),
      ...[...delivered].slice(0, 20).map((id) => events.find((e) => e.id === id)!),
    ]);
    await deliverAll(again);
    expect(events.filter((e) => !delivered.has(e.id))).toEqual([]);
    await eventually(async () => (await activeCount()) === TENANTS, 60_000);
    // Subscriptions and invoices are separate objects, applied by separate jobs: wait for both.
    for (const t of tenants) {
      await eventually(
        async () => (await t.client.get('/api/v1/billing/invoices')).body.data.length === 1,
        60_000,
      );
    }
    // Every row settles (processed or ignored, nothing left pending for the sweeper). On a
    // server the test watches the inbox while the child runs. The embedded database belongs to
    // the child, so there the test watches through its API: each workspace lists the events
    // applied to it, and every event with an object to apply (the others are stored as ignored)
    // must end up listed as processed by one of them, whoever applied it (job, retry or sweeper).
    if (server) {
      const watcher = await testDatabase(); // the file's shared connection: not closed here
      await eventually(async () => {
        const pending = await inTransaction(watcher, {}, (tx) =>
          tx
            .selectFrom('stripe_webhook_events')
            .select('id')
            .where(
              'id',
              'in',
              events.map((e) => e.id),
            )
            .where('status', 'not in', ['processed', 'ignored'])
            .execute(),
        );
        return pending.length === 0;
      }, 60_000);
    } else {
      const applicable = events.filter((e) => stripeEventRefs(e).objectKey !== null);
      expect(applicable.length).toBeGreaterThanOrEqual(TENANTS * 2);
      await eventually(async () => {
        const processed = new Set<string>();
        for (const t of tenants) {
          const res = await t.client.get(
            '/api/v1/billing/webhook-events?status=processed&limit=200',
          );
          expect(res.status, res.text).toBe(200);
          expect(res.body.nextCursor).toBeNull();
          for (const e of res.body.data as { id: string }[]) processed.add(e.id);
        }
        return applicable.every((e) => processed.has(e.id));
      }, 60_000);
    }
    await app.stop('SIGTERM');

    let database: Database;
    if (server) database = await testDatabase();
    else database = await openDatabase({ dataDir });
    try {
      const ids = events.map((e) => e.id);
      const rows = await inTransaction(database, {}, (tx) =>
        tx
          .selectFrom('stripe_webhook_events')
          .select(['id', 'status'])
          .where('id', 'in', ids)
          .execute(),
      );
      expect(rows).toHaveLength(ids.length);
      expect(rows.filter((r) => r.status !== 'processed' && r.status !== 'ignored')).toEqual([]);
      for (const t of tenants) {
        const audit = await inTransaction(database, { tenantId: t.id }, (tx) =>
          tx
            .selectFrom('audit_events')
            .select(['action', 'target_id', 'changes'])
            .where('tenant_id', '=', t.id)
            .execute(),
        );
        const count = (a: string) => audit.filter((x) => x.action === a).length;
        expect(count('subscription.created')).toBe(1);
        expect(count('invoice.created')).toBe(1);
        expect(count('tenant.plan_changed')).toBe(1);
        const invoices = await inTransaction(database, { tenantId: t.id }, (tx) =>
          tx.selectFrom('billing_invoices').select('id').where('tenant_id', '=', t.id).execute(),
        );
        expect(invoices).toHaveLength(1);
        const subs = await inTransaction(database, { tenantId: t.id }, (tx) =>
          tx
            .selectFrom('billing_subscriptions')
            .select(['status', 'plan'])
            .where('tenant_id', '=', t.id)
            .execute(),
        );
        expect(subs).toEqual([{ status: 'active', plan: 'pro' }]);
      }
    } finally {
      if (!server) await database.close();
    }
  }, 180_000);
});
