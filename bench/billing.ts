/**
 * Stripe webhook benchmark on PostgreSQL + Redis, against a Stripe-compatible server it runs itself
 * (the sandbox on its own port).
 *
 *   npm run bench:billing    # builds, then runs; BENCH_EVENTS, BENCH_SUBSCRIPTIONS, BENCH_BURST to change
 *   BENCH_ROLE=all npm run bench:billing    # the one-process mode (`npm start`), see below
 *
 * Processes: the API (role api), the worker (role worker) and the Stripe-compatible server
 * (bench/billing-stripe-server.ts, state prepared here) run as child processes; the senders run in
 * this one. A throwaway database is created on the PostgreSQL server
 * (BENCH_DATABASE_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres) and dropped after;
 * Redis keys use a run-unique prefix (BENCH_REDIS_URL, default redis://127.0.0.1:6379).
 *
 * Measures (CPU per event of every process, this one included, for each of the first three):
 *  1. the API alone (worker stopped with SIGSTOP): accepted events/s and acknowledgement p50/p99
 *     at 16 concurrent senders, and events per inbox commit (how well deliveries batch);
 *  2. the worker alone: applied events/s on run 1's backlog once it resumes;
 *  3. both at once: fresh events accepted and applied while the worker runs;
 *  4. a 10,000-event burst (64 concurrent senders): non-2xx count, and time until all applied.
 *
 * With BENCH_ROLE=all the server is one `all` process (API and worker as `npm start` runs them)
 * instead of an api and a worker, and it measures instead: a workspace's ordinary read
 * (GET /api/v1/sites with an API key, one at a time on one connection) at rest, then the same
 * reads while a burst of BENCH_BURST events from 16 senders is sent and applied, and the burst's
 * acknowledgement p50/p99. Target: read p99 during the burst ≤ 3 × at rest, acknowledgement
 * p99 ≤ 50 ms.
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
import { SerialClient } from './lib/serial-client.ts';

/** Every role of one run shares the key, as processes of one deployment must. */
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

const SECRET = 'sk_test_bench';
const WHSEC = 'whsec_bench_secret';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const SUBSCRIPTIONS = Number(process.env.BENCH_SUBSCRIPTIONS ?? 2_000);
const BURST = Number(process.env.BENCH_BURST ?? 10_000);
const SENDERS = 16;
const BURST_SENDERS = 64;
const ONE_PROCESS = process.env.BENCH_ROLE === 'all';
const READ_SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 8);

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

function startRole(role: 'all' | 'api' | 'worker', env: Record<string, string>): ChildProcess {
  // BENCH_PROFILE_DIR: a V8 CPU profile of each role, written when it exits.
  const profile = process.env.BENCH_PROFILE_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_PROFILE_DIR, role)}`]
    : [];
  // The built server, as `npm start` runs it (`npm run build` first).
  return spawn(process.execPath, [...profile, 'dist/server/main.js', role], {
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      // Production with DATABASE_URL requires the shared key for stored secrets.
      ENCRYPTION_KEY,
      ...env,
    },
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN when unknown. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Pids of the running processes called `name` (PostgreSQL's backends, Redis). */
function pidsNamed(name: string): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === name;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * CPU seconds used so far by each process of the run, the load generator (this process) included.
 * PostgreSQL and Redis are counted whole (every backend), since nothing else uses them meanwhile.
 */
function cpuSnapshot(children: Record<string, ChildProcess | null>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, child] of Object.entries(children)) out.set(key, cpuSeconds(child?.pid));
  for (const [key, name] of [
    ['postgres', 'postgres'],
    ['redis', 'redis-server'],
  ] as const) {
    for (const pid of pidsNamed(name)) out.set(`${key}:${pid}`, cpuSeconds(pid));
  }
  const own = process.cpuUsage();
  out.set('senders', (own.user + own.system) / 1e6);
  return out;
}

/** Milliseconds of CPU per event of each process (group) between two snapshots. */
function cpuPerEvent(before: Map<string, number>, after: Map<string, number>, events: number) {
  const used = new Map<string, number>();
  for (const [key, seconds] of after) {
    const group = key.split(':')[0]!;
    const delta = seconds - (before.get(key) ?? 0);
    if (Number.isFinite(delta)) used.set(group, (used.get(group) ?? 0) + delta);
  }
  const perEvent = Object.fromEntries(
    [...used].map(([group, seconds]) => [group, Number(((seconds * 1000) / events).toFixed(3))]),
  );
  const total = [...used.values()].reduce((a, b) => a + b, 0);
  return { ...perEvent, total: Number(((total * 1000) / events).toFixed(3)) };
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
  const api = startRole(ONE_PROCESS ? 'all' : 'api', env);
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
    if (!ONE_PROCESS) worker = startRole('worker', env);
    await new Promise((r) => setTimeout(r, 3000));

    const sign = (events: SandboxEvent[]): Signed[] =>
      events.map((e) => {
        const body = Buffer.from(JSON.stringify(e));
        return { id: e.id, body, signature: sandbox.signatureHeader(body.toString('utf8')) };
      });

    const url = `${base}/api/v1/billing/webhooks/stripe`;
    if (ONE_PROCESS) {
      // The checkout events first, so that the burst finds every subscription mirrored.
      const setup = sign(checkoutEvents);
      await send(url, setup, SENDERS);
      await waitApplied(
        db,
        setup.map((s) => s.id),
        performance.now(),
        300_000,
      );
      const result = await measureOneProcess(base, url, db, sign(await prompts(BURST)));
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    if (!worker) throw new Error('unreachable: the worker runs in split mode');
    const processes = { api, worker, stripeServer };
    const commits = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
          )
        ).rows[0]!.n,
      );
    const appliedFigures = (r: Awaited<ReturnType<typeof waitApplied>>) => ({
      events: r.applied,
      seconds: Number(r.seconds.toFixed(2)),
      perSecond: Math.round(r.applied / r.seconds),
    });
    const acceptedFigures = (r: Awaited<ReturnType<typeof send>>) => ({
      perSecond: Math.round(r.rate),
      p50ms: Number(r.p50.toFixed(1)),
      p99ms: Number(r.p99.toFixed(1)),
      non2xx: r.non2xx,
    });

    // Run 1, the API alone: the checkout events of every subscription, then
    // `customer.subscription.updated` prompts, up to EVENTS, while the worker is stopped (SIGSTOP).
    const run1 = checkoutEvents.slice(0, EVENTS);
    run1.push(...(await prompts(EVENTS - run1.length)));
    const run1Signed = sign(run1);
    console.log(`run 1: ${run1Signed.length} events, ${SENDERS} senders, worker stopped`);
    worker.kill('SIGSTOP');
    let cpu = cpuSnapshot(processes);
    const commits0 = await commits();
    const apiAlone = await send(url, run1Signed, SENDERS);
    const apiCpu = cpuPerEvent(cpu, (cpu = cpuSnapshot(processes)), run1Signed.length);
    // PostgreSQL publishes its counters within a second.
    await new Promise((r) => setTimeout(r, 1500));
    const inboxCommits = (await commits()) - commits0;

    // Run 2, the worker alone: it resumes (SIGCONT) and applies run 1's backlog.
    console.log('run 2: the worker applies the backlog');
    cpu = cpuSnapshot(processes);
    const drainStart = performance.now();
    worker.kill('SIGCONT');
    const workerAlone = await waitApplied(
      db,
      run1Signed.map((s) => s.id),
      drainStart,
      300_000,
    );
    const workerCpu = cpuPerEvent(cpu, cpuSnapshot(processes), run1Signed.length);

    // Run 3, both at once: EVENTS fresh prompts sent while the worker applies them.
    const run3Signed = sign(await prompts(EVENTS));
    console.log(`run 3: ${run3Signed.length} events, ${SENDERS} senders, worker running`);
    cpu = cpuSnapshot(processes);
    const together = await send(url, run3Signed, SENDERS);
    const togetherApplied = await waitApplied(
      db,
      run3Signed.map((s) => s.id),
      together.startedAt,
      300_000,
    );
    const togetherCpu = cpuPerEvent(cpu, cpuSnapshot(processes), run3Signed.length);

    // Run 4: a burst of BURST fresh events.
    const burstSigned = sign(await prompts(BURST));
    console.log(`run 4: burst of ${burstSigned.length} events, ${BURST_SENDERS} senders`);
    const burst = await send(url, burstSigned, BURST_SENDERS);
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
      apiAlone: {
        events: run1Signed.length,
        ...acceptedFigures(apiAlone),
        eventsPerInboxCommit: Number((run1Signed.length / inboxCommits).toFixed(1)),
        cpuMsPerEvent: apiCpu,
      },
      workerAlone: { ...appliedFigures(workerAlone), cpuMsPerEvent: workerCpu },
      together: {
        events: run3Signed.length,
        accepted: acceptedFigures(together),
        applied: appliedFigures(togetherApplied),
        cpuMsPerEvent: togetherCpu,
      },
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
      subscriptionsMirrored: Number(mirrored.rows[0]!.n),
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
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

/** A workspace with two sites and an admin API key, made through the API. */
async function setupReader(base: string): Promise<{ apiKey: string }> {
  const signup = await fetch(`${base}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `reader-${runId}@example.test`,
      password: 'benchmark password',
      name: 'Reader',
    }),
  });
  const cookies = signup.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const cookie = cookies.join('; ');
  const csrf = cookies.find((c) => c.startsWith('csrf_token='))!.split('=')[1]!;
  const headers = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf };
  const tenant = (await (
    await fetch(`${base}/api/v1/tenants`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Reader', subdomain: `reader-${runId}` }),
    })
  ).json()) as { id: string };
  const key = (await (
    await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { ...headers, 'x-tenant-id': tenant.id },
      body: JSON.stringify({ name: 'bench', role: 'admin' }),
    })
  ).json()) as { key: string };
  for (const n of [1, 2]) {
    await fetch(`${base}/api/v1/sites`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.key}` },
      body: JSON.stringify({ name: `Site ${n}`, domain: `site${n}-${runId}.example.test` }),
    });
  }
  return { apiKey: key.key };
}

/** Reads GET /api/v1/sites one at a time until `until()` says stop; latencies in ms, sorted. */
async function readLoop(base: string, apiKey: string, until: () => boolean) {
  const client = await SerialClient.connect(base);
  const latencies: number[] = [];
  let errors = 0;
  try {
    while (!until()) {
      const t0 = performance.now();
      const reply = await client.get('/api/v1/sites', { authorization: `Bearer ${apiKey}` });
      latencies.push(performance.now() - t0);
      if (reply.status !== 200) errors += 1;
    }
  } finally {
    client.close();
  }
  latencies.sort((a, b) => a - b);
  return {
    reads: latencies.length,
    errors,
    p50ms: Number(percentile(latencies, 50).toFixed(2)),
    p99ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

/**
 * The one-process mode: a workspace's reads at rest, then during a burst sent by 16 senders and
 * until the worker has applied all of it, and the burst's acknowledgements.
 */
async function measureOneProcess(base: string, url: string, db: pg.Client, burst: Signed[]) {
  const { apiKey } = await setupReader(base);
  // Warm-up, then the reads at rest.
  const warm = Date.now() + 1000;
  await readLoop(base, apiKey, () => Date.now() > warm);
  const restEnd = Date.now() + READ_SECONDS * 1000;
  console.log(`one process: reads at rest for ${READ_SECONDS} s`);
  const atRest = await readLoop(base, apiKey, () => Date.now() > restEnd);
  console.log(`one process: burst of ${burst.length} events, ${SENDERS} senders, reads meanwhile`);
  let applied = false;
  const during = readLoop(base, apiKey, () => applied);
  const acks = await send(url, burst, SENDERS);
  const done = await waitApplied(
    db,
    burst.map((s) => s.id),
    acks.startedAt,
    300_000,
  );
  applied = true;
  const duringBurst = await during;
  return {
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`,
    mode: 'one process (ROLE=all), PostgreSQL + Redis',
    readsAtRest: atRest,
    readsDuringBurst: duringBurst,
    readP99Ratio: Number((duringBurst.p99ms / atRest.p99ms).toFixed(2)),
    burst: {
      events: burst.length,
      senders: SENDERS,
      ackP50ms: Number(acks.p50.toFixed(1)),
      ackP99ms: Number(acks.p99.toFixed(1)),
      acceptedPerSecond: Math.round(acks.rate),
      non2xx: acks.non2xx,
      allAppliedSeconds: Number(done.seconds.toFixed(2)),
      applied: done.applied,
    },
    loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
