/**
 * Stripe webhook benchmark on PostgreSQL + Redis, against a Stripe-compatible server it runs itself
 * (the sandbox on its own port).
 *
 *   npm run bench:billing    # builds, then runs; BENCH_EVENTS, BENCH_SUBSCRIPTIONS, BENCH_BURST to change
 *
 * Processes: the API (role api), the worker (role worker) and the Stripe-compatible server
 * (bench/billing-stripe-server.ts, state prepared here) run as child processes; the senders run in
 * this one. A throwaway database is created on the PostgreSQL server
 * (BENCH_DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres) and dropped after;
 * Redis keys use a run-unique prefix (BENCH_REDIS_URL, default redis://127.0.0.1:6379).
 *
 * Measures:
 *  1. accepted events/s and acknowledgement p50/p99 at 16 concurrent senders (worker running);
 *  2. applied events/s: from the first send until every inbox row is processed;
 *  3. a 10,000-event burst (64 concurrent senders): non-2xx count, and time until all applied.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { StripeSandbox, type SandboxEvent } from '../src/server/sandbox/sandbox-state.ts';

const SECRET = 'sk_test_bench';
const WHSEC = 'whsec_bench_secret';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 2_000);
const BURST = Number(process.env.BENCH_BURST ?? 10_000);
const SENDERS = 16;
const BURST_SENDERS = 64;

const adminUrl =
  process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const runId = randomBytes(4).toString('hex');
const dbName = `roi_bench_billing_${runId}`;
const redisPrefix = `bench-billing-${runId}`;

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function startRole(role: 'api' | 'worker', env: Record<string, string>): ChildProcess {
  // BENCH_PROFILE_DIR: a V8 CPU profile of each role, written when it exits.
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_PROFILE_DIR, role)}`]
    : [];
  // The built server, as `npm start` runs it (`npm run build` first).
  return spawn(process.execPath, [...profile, 'dist/server/main.js', role], {
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function waitReady(url: string) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('API did not start');
}

async function waitListening(url: string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      await fetch(`${url}/v1/events`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error('Stripe-compatible server did not start');
}

interface Signed {
  id: string;
  body: Buffer;
  signature: string;
}

/** Sends every payload with `concurrency` closed-loop senders on keep-alive connections. */
async function send(url: string, items: Signed[], concurrency: number) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const t0 = performance.now();
        const status = await new Promise<number>((resolve) => {
          const req = http.request(
            {
              agent,
              method: 'POST',
              host: target.hostname,
              port: target.port,
              path: target.pathname,
              headers: {
                'content-type': 'application/json',
                'content-length': item.body.length,
                'stripe-signature': item.signature,
              },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', () => resolve(0));
          req.end(item.body);
        });
        latencies.push(performance.now() - t0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const non2xx = [...statuses].filter(([s]) => s < 200 || s >= 300).reduce((a, [, n]) => a + n, 0);
  return {
    seconds,
    rate: items.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx,
    statuses: Object.fromEntries(statuses),
    startedAt: started,
  };
}

/** CPU seconds (user + system) a child process has used so far, from /proc (Linux). */
function cpuSeconds(child: ChildProcess | null): number {
  try {
    const fields = fs.readFileSync(`/proc/${child?.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function waitApplied(db: pg.Client, ids: string[], since: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM stripe_webhook_events WHERE id = ANY($1) AND status IN ('processed', 'ignored')`,
      [ids],
    );
    const n = Number(r.rows[0]!.n);
    if (n === ids.length) return { seconds: (performance.now() - since) / 1000, applied: n };
    if (Date.now() > deadline) return { seconds: NaN, applied: n };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;

  // The Stripe-compatible server: its state is prepared here, then served by a process of its own.
  const stateFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'roi-bench-stripe-')),
    'state.json',
  );
  const sandbox = new StripeSandbox({
    secretKey: SECRET,
    webhookSecret: WHSEC,
    publicUrl: 'http://127.0.0.1',
    persistFile: stateFile,
  });
  const stripePort = await freePort();
  const stripeUrl = `http://127.0.0.1:${stripePort}`;
  const port = await freePort();
  const env = {
    DATABASE_URL: dbUrl.href,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
    STRIPE_SECRET_KEY: SECRET,
    STRIPE_WEBHOOK_SECRET: WHSEC,
    STRIPE_API_BASE: stripeUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    RATE_LIMIT_RPM: '0',
    ...(process.env.BENCH_WORKER_CONCURRENCY
      ? { BILLING_WORKER_CONCURRENCY: process.env.BENCH_WORKER_CONCURRENCY }
      : {}),
  };
  const api = startRole('api', env);
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base);
  let worker: ChildProcess | null = null;
  let stripeServer: ChildProcess | null = null;
  const db = new pg.Client({ connectionString: dbUrl.href });
  await db.connect();

  try {
    // Workspaces with a Stripe customer and an active Pro subscription (set up directly: this is
    // a webhook benchmark, not a sign-up one), and every event both runs will send.
    console.log(`setting up ${SUBSCRIPTIONS} subscriptions…`);
    const subs: string[] = [];
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const tenantId = crypto.randomUUID();
      const customer = sandbox.createCustomer({
        name: `Bench ${i}`,
        metadata: { tenant_id: tenantId },
      });
      await db.query(
        `INSERT INTO tenants (id, name, subdomain, stripe_customer_id) VALUES ($1, $2, $3, $4)`,
        [tenantId, `Bench ${i}`, `bench-${runId}-${i}`, customer.id],
      );
      const session = sandbox.createCheckoutSession({
        customer: customer.id,
        mode: 'subscription',
        client_reference_id: tenantId,
        success_url: `${base}/billing`,
        line_items: [{ price: 'price_sandbox_pro', quantity: 1 }],
        subscription_data: { metadata: { tenant_id: tenantId } },
      });
      subs.push(sandbox.completeCheckout(session.id).subscription.id);
    }
    // Run 1: the checkout events of every subscription, then `customer.subscription.updated`
    // prompts spread over all subscriptions, up to EVENTS. Run 2: BURST more prompts. Prompts are
    // made by the Stripe-compatible server just before each run.
    const checkoutEvents = sandbox.allEvents().filter((e) => e.type !== 'customer.created');
    sandbox.persistNow();
    sandbox.close();
    const controlPort = await freePort();
    stripeServer = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/billing-stripe-server.ts',
        stateFile,
        String(stripePort),
        SECRET,
        WHSEC,
        String(controlPort),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const prompts = async (count: number): Promise<SandboxEvent[]> => {
      if (count <= 0) return [];
      const res = await fetch(`http://127.0.0.1:${controlPort}/touch?count=${count}`, {
        method: 'POST',
      });
      return (await res.json()) as SandboxEvent[];
    };
    await waitListening(stripeUrl);
    worker = startRole('worker', env);
    await new Promise((r) => setTimeout(r, 3000));

    const sign = (events: SandboxEvent[]): Signed[] =>
      events.map((e) => {
        const body = Buffer.from(JSON.stringify(e));
        return { id: e.id, body, signature: sandbox.signatureHeader(body.toString('utf8')) };
      });

    const run1 = checkoutEvents.slice(0, EVENTS);
    run1.push(...(await prompts(EVENTS - run1.length)));
    const run1Signed = sign(run1);
    console.log(
      `run 1: ${run1Signed.length} events over ${SUBSCRIPTIONS} subscriptions, ${SENDERS} senders`,
    );
    const cpu0 = {
      api: cpuSeconds(api),
      worker: cpuSeconds(worker),
      stripe: cpuSeconds(stripeServer),
    };
    const accepted = await send(`${base}/api/v1/billing/webhooks/stripe`, run1Signed, SENDERS);
    const applied = await waitApplied(
      db,
      run1Signed.map((s) => s.id),
      accepted.startedAt,
      300_000,
    );

    // CPU each process spent on run 1, per event: what the rates would be on cores of their own.
    const cpuPerEvent = (child: ChildProcess | null, before: number) =>
      Number((((cpuSeconds(child) - before) * 1000) / run1Signed.length).toFixed(3));
    const cpuMsPerEvent = {
      api: cpuPerEvent(api, cpu0.api),
      worker: cpuPerEvent(worker, cpu0.worker),
      stripeServer: cpuPerEvent(stripeServer, cpu0.stripe),
    };

    // Run 2: a burst of BURST fresh events.
    const burstSigned = sign(await prompts(BURST));
    console.log(`run 2: burst of ${burstSigned.length} events, ${BURST_SENDERS} senders`);
    const burst = await send(`${base}/api/v1/billing/webhooks/stripe`, burstSigned, BURST_SENDERS);
    const burstApplied = await waitApplied(
      db,
      burstSigned.map((s) => s.id),
      burst.startedAt,
      120_000,
    );

    const mirrored = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM billing_subscriptions`,
    );
    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      accepted: {
        events: run1Signed.length,
        perSecond: Math.round(accepted.rate),
        p50ms: Number(accepted.p50.toFixed(1)),
        p99ms: Number(accepted.p99.toFixed(1)),
        non2xx: accepted.non2xx,
      },
      applied: {
        events: applied.applied,
        seconds: Number(applied.seconds.toFixed(2)),
        perSecond: Math.round(applied.applied / applied.seconds),
        subscriptionsMirrored: Number(mirrored.rows[0]!.n),
      },
      cpuMsPerEvent,
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      burst: {
        events: burstSigned.length,
        sendSeconds: Number(burst.seconds.toFixed(2)),
        acceptedPerSecond: Math.round(burst.rate),
        p99ms: Number(burst.p99.toFixed(1)),
        non2xx: burst.non2xx,
        statuses: burst.statuses,
        allAppliedSeconds: Number(burstApplied.seconds.toFixed(2)),
        applied: burstApplied.applied,
      },
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.end();
    const children = [api, worker, stripeServer].filter((c): c is ChildProcess => c !== null);
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    fs.rmSync(path.dirname(stateFile), { recursive: true, force: true });
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${redisPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await cleanup.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
