/**
 * ROI benchmark over HTTP: 20 tenants × 25 sites × 3 years of daily metrics, on PostgreSQL + Redis
 * and on the embedded default. Measures metric import rows/s, the tenant-wide one-year monthly
 * ROI report p50/p99 uncached and cached (one request at a time), and cached report requests/s at
 * 16 concurrent clients against /healthz of the same process.
 *
 * After the imports the server rebuilds the workspace rollups at once (the worker's work, which
 * waits for a workspace's writes to pause), measured on a row of its own, so that the reports read
 * them as they would on a workspace at rest.
 *
 * How the one-at-a-time measures are taken: after the imports the database is vacuumed and
 * analyzed (as pgbench does); a warm-up of BENCH_WARMUP (200) reports on other windows, uncached
 * then cached, and as many /healthz requests, is not measured; each measure (BENCH_REPORTS, 1000
 * requests) starts after a one-second pause, on one connection of a minimal client
 * (lib/serial-client.ts) so that the client's own cost stays out of the figures.
 *
 *   npx tsx bench/roi.ts                          # both backends
 *   BENCH_BACKENDS=postgres npx tsx bench/roi.ts  # or embedded
 *   BENCH_TENANTS=5 BENCH_SITES=10 …              # a smaller data set
 *   BENCH_SKIP_CSV=1 …                            # skip the 100,000-row CSV import (iterating on reports)
 *   BENCH_IMPORT_ONLY=1 …                         # the imports only, no report measures
 *   BENCH_KEEP_DB=1 …                             # keep the PostgreSQL database (EXPLAIN on it)
 *
 * Every site has a non-default attribution with a 90-day baseline at the start of its history, set
 * before its import (so each import also recomputes the site's baseline and credited values), and
 * every report asks compare=previous (issue 13).
 *
 *   BENCH_TENANTS=2 BENCH_SITES=2 BENCH_DAYS=120 BENCH_REPORTS=20 BENCH_WARMUP=10 BENCH_SECONDS=1 \
 *     BENCH_SKIP_CSV=1 BENCH_BACKENDS=embedded npx tsx bench/roi.ts   # a check that it runs
 *
 * Targets (issue 3, 2 cores): import ≥ 100,000 rows/s; report p99 ≤ 10 ms uncached and ≤ 3 ms
 * cached; cached report throughput ≥ half of /healthz.
 */
import { randomBytes } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/server/data/database.ts';
import { inTransaction } from '../src/server/data/scoped-transaction.ts';
import { buildRoiReport } from '../src/server/domain/reports/roi-report.ts';
import { mergeLoads, percentile, runLoad, type LoadResult } from './lib/load.ts';
import { SerialClient } from './lib/serial-client.ts';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 20);
const SITES = Number(process.env.BENCH_SITES ?? 25);
const DAYS = Number(process.env.BENCH_DAYS ?? 3 * 365);
const REPORTS = Number(process.env.BENCH_REPORTS ?? 1000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const SETTLE_MS = 1000;
const DURATION = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
/** The throughput measures alternate in this many rounds of DURATION / LOAD_ROUNDS each. */
const LOAD_ROUNDS = 4;
const IMPORT_CONCURRENCY = Number(process.env.BENCH_IMPORT_CONCURRENCY ?? 4);
const SKIP_CSV = process.env.BENCH_SKIP_CSV === '1';
const IMPORT_ONLY = process.env.BENCH_IMPORT_ONLY === '1';
const backends = (process.env.BENCH_BACKENDS ?? 'postgres,embedded').split(',');
const ADMIN_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  base: string,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Reply> {
  const url = new URL(urlPath, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        method,
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { ...headers, ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function expectOk(reply: Promise<Reply>, what: string): Promise<Reply> {
  const r = await reply;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const DAY = 86_400_000;

/** Starts bench/roi/server.ts in its own process; resolves with its base URL. */
async function startServer(
  env: Record<string, string>,
): Promise<{ base: string; child: ChildProcess; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-bench-'));
  const child = fork(path.join(import.meta.dirname, 'roi/server.ts'), [], {
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server process.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      // Production with DATABASE_URL requires the shared key for stored secrets.
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      // Billing is not measured here: the Stripe sandbox stands in for real keys.
      SANDBOXES: 'on',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_RPM: '0',
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.on(
      'message',
      (m: { type: string; port?: number }) => m.type === 'ready' && resolve(m.port!),
    );
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { base: `http://127.0.0.1:${port}`, child, dataDir };
}

async function setPlans(child: ChildProcess, tenantIds: string[]) {
  const done = new Promise<void>((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type === 'plan-done') {
        child.off('message', on);
        resolve();
      }
    };
    child.on('message', on);
  });
  child.send({ type: 'plan', tenantIds });
  await done;
}

/** Has the server rebuild every stale workspace rollup now (what its worker does). */
async function rebuildRollups(child: ChildProcess) {
  const started = performance.now();
  const done = new Promise<{ workspaces: number; entries: number }>((resolve) => {
    const on = (m: { type: string; workspaces: number; entries: number }) => {
      if (m.type === 'rollups-done') {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
  });
  child.send({ type: 'rollups' });
  const { workspaces, entries } = await done;
  return { workspaces, entries, seconds: (performance.now() - started) / 1000 };
}

/** CPU seconds (user + system) each live process of `pids` has used so far, by pid. */
function cpuSecondsOf(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // not on Linux, or gone
    }
  }
  return out;
}

interface ServerCpu {
  /** CPU seconds of the server process. */
  app: number;
  /** CPU seconds of the PostgreSQL backends serving its database (0 on the embedded one). */
  db: number;
}

/**
 * Measures the CPU the server spends on `fn`: its own process and, on PostgreSQL, the backends
 * serving its database (a load-independent figure on a shared machine, unlike wall time), and the
 * 1-minute load average when it ends.
 */
async function withServerCpu<T>(
  pids: () => Promise<{ app: number[]; db: number[] }>,
  fn: () => Promise<T>,
): Promise<Measured<T>> {
  const before = await pids();
  const appBefore = cpuSecondsOf(before.app);
  const dbBefore = cpuSecondsOf(before.db);
  const result = await fn();
  const load = os.loadavg()[0]!;
  const after = await pids();
  const used = (now: Map<number, number>, then: Map<number, number>) =>
    [...now].reduce((sum, [pid, seconds]) => sum + seconds - (then.get(pid) ?? 0), 0);
  const appAfter = cpuSecondsOf(after.app);
  if (appAfter.size === 0) return { ...result, cpu: null, load };
  const cpu = { app: used(appAfter, appBefore), db: used(cpuSecondsOf(after.db), dbBefore) };
  return { ...result, cpu, load };
}

type Measured<T> = T & { cpu: ServerCpu | null; load: number };

/** Rounds of one load as one: see mergeLoads; CPU seconds summed. */
function mergeMeasured(rounds: Measured<LoadResult>[]): Measured<LoadResult> {
  const cpus = rounds.map((r) => r.cpu);
  const cpu = cpus.every((c) => c !== null)
    ? { app: cpus.reduce((s, c) => s + c.app, 0), db: cpus.reduce((s, c) => s + c.db, 0) }
    : null;
  return { ...mergeLoads(rounds), cpu, load: rounds.at(-1)!.load };
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

interface BenchTenant {
  id: string;
  key: string;
  sites: string[];
}

async function setup(base: string, child: ChildProcess): Promise<BenchTenant[]> {
  const stamp = Date.now().toString(36);
  const tenants: BenchTenant[] = [];
  for (let t = 0; t < TENANTS; t++) {
    const signup = await expectOk(
      request(
        base,
        'POST',
        '/api/v1/auth/signup',
        { 'content-type': 'application/json' },
        JSON.stringify({
          email: `bench-${stamp}-${t}@example.test`,
          password: 'benchmark password',
          name: 'Bench',
        }),
      ),
      'signup',
    );
    const cookies = ([] as string[])
      .concat(signup.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!);
    const cookie = cookies.join('; ');
    const csrf = cookies.find((c) => c.startsWith('csrf_token='))!.split('=')[1]!;
    const auth = { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf };
    const tenant = JSON.parse(
      (
        await expectOk(
          request(
            base,
            'POST',
            '/api/v1/tenants',
            auth,
            JSON.stringify({ name: `Bench ${t}`, subdomain: `bench-${stamp}-${t}` }),
          ),
          'tenant',
        )
      ).body,
    ) as { id: string };
    const key = JSON.parse(
      (
        await expectOk(
          request(
            base,
            'POST',
            '/api/v1/api-keys',
            { ...auth, 'x-tenant-id': tenant.id },
            JSON.stringify({ name: 'bench', role: 'admin' }),
          ),
          'key',
        )
      ).body,
    ) as { key: string };
    tenants.push({ id: tenant.id, key: key.key, sites: [] });
  }
  await setPlans(
    child,
    tenants.map((t) => t.id),
  );
  const today = iso(Date.now());
  await pool(tenants, 4, async (tenant) => {
    const h = { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` };
    for (let s = 0; s < SITES; s++) {
      const site = JSON.parse(
        (
          await expectOk(
            request(
              base,
              'POST',
              '/api/v1/sites',
              h,
              JSON.stringify({ name: `Site ${s}`, domain: `site${s}.example.com` }),
            ),
            'site',
          )
        ).body,
      ) as { id: string };
      tenant.sites.push(site.id);
      const start = iso(Date.parse(`${today}T00:00:00Z`) - DAYS * DAY);
      // Attribution on every site: shares, a conversion value and a baseline over the first 90
      // days of the history the import brings.
      await expectOk(
        request(
          base,
          'PATCH',
          `/api/v1/sites/${site.id}`,
          h,
          JSON.stringify({
            attribution: {
              revenueShare: 0.4 + s / 1000,
              conversionValue: 2_500,
              grossMargin: 0.65,
              baseline: { from: start, to: iso(Date.parse(`${start}T00:00:00Z`) + 89 * DAY) },
            },
          }),
        ),
        'attribution',
      );
      await expectOk(
        request(
          base,
          'POST',
          '/api/v1/services',
          h,
          JSON.stringify({
            siteId: site.id,
            name: 'Retainer',
            category: 'seo',
            billing: 'monthly',
            amount: 150_000 + s * 1000,
            startDate: start,
          }),
        ),
        'service',
      );
      if (s === 0) {
        const hourly = JSON.parse(
          (
            await expectOk(
              request(
                base,
                'POST',
                '/api/v1/services',
                h,
                JSON.stringify({
                  siteId: site.id,
                  name: 'Links',
                  category: 'links',
                  billing: 'hourly',
                  amount: 9_500,
                  startDate: start,
                }),
              ),
              'service',
            )
          ).body,
        ) as { id: string };
        for (let m = 0; m < 12; m++) {
          await expectOk(
            request(
              base,
              'POST',
              `/api/v1/services/${hourly.id}/time-entries`,
              h,
              JSON.stringify({ date: iso(Date.now() - m * 30 * DAY), hours: 3.5 }),
            ),
            'time entry',
          );
        }
      }
    }
  });
  return tenants;
}

/** Three years of daily rows for one site, as the JSON import body. */
function siteRows(seed: number): string {
  const rows = [];
  const end = Date.parse(`${iso(Date.now())}T00:00:00Z`) - DAY;
  for (let i = 0; i < DAYS; i++) {
    const x = (seed * 7919 + i * 104_729) % 1000;
    rows.push({
      date: iso(end - i * DAY),
      sessions: 200 + x,
      conversions: x % 17,
      revenue: 10_000 + x * 37,
      clicks: 50 + (x % 300),
      impressions: 2000 + x * 3,
      position: 3 + (x % 400) / 100,
    });
  }
  return JSON.stringify({ rows });
}

async function importAll(base: string, tenants: BenchTenant[], concurrency: number) {
  // Round robin over tenants, so concurrent imports are of different tenants (as in real use).
  const jobs = Array.from({ length: SITES }, (_, i) =>
    tenants.map((t) => ({ t, siteId: t.sites[i]!, body: siteRows(i) })),
  ).flat();
  const perRequest: number[] = [];
  const t0 = performance.now();
  await pool(jobs, concurrency, async ({ t, siteId, body }) => {
    const s = performance.now();
    await expectOk(
      request(
        base,
        'POST',
        `/api/v1/sites/${siteId}/metrics`,
        { 'content-type': 'application/json', authorization: `Bearer ${t.key}` },
        body,
      ),
      'import',
    );
    perRequest.push(performance.now() - s);
  });
  const seconds = (performance.now() - t0) / 1000;
  perRequest.sort((a, b) => a - b);
  return {
    rows: jobs.length * DAYS,
    seconds,
    rowsPerSecond: (jobs.length * DAYS) / seconds,
    p50: percentile(perRequest, 50),
    p99: percentile(perRequest, 99),
  };
}

/** One 100,000-row CSV import into a fresh site (the largest single request allowed). */
async function importBigCsv(base: string, tenant: BenchTenant) {
  const h = { 'content-type': 'application/json', authorization: `Bearer ${tenant.key}` };
  const site = JSON.parse(
    (
      await expectOk(
        request(
          base,
          'POST',
          '/api/v1/sites',
          h,
          JSON.stringify({ name: 'Big', domain: 'big.example.com' }),
        ),
        'site',
      )
    ).body,
  ) as { id: string };
  const lines = ['date,sessions,conversions,revenue,clicks,impressions,position'];
  const start = Date.UTC(1900, 0, 1);
  for (let i = 0; i < 100_000; i++)
    lines.push(
      `${iso(start + i * DAY)},${i % 500},${i % 7},${(i % 9000) + 0.25},${i % 300},${2000 + (i % 999)},${(3 + (i % 400) / 100).toFixed(2)}`,
    );
  const body = lines.join('\n');
  const t0 = performance.now();
  await expectOk(
    request(
      base,
      'POST',
      `/api/v1/sites/${site.id}/metrics`,
      { 'content-type': 'text/csv', authorization: `Bearer ${tenant.key}` },
      body,
    ),
    'csv import',
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    rows: 100_000,
    seconds,
    rowsPerSecond: 100_000 / seconds,
    bytes: Buffer.byteLength(body),
  };
}

/** The count and percentiles of latencies measured one request at a time. */
function serialSummary(latencies: number[]) {
  latencies.sort((a, b) => a - b);
  return {
    n: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
  };
}

/** Sends the requests one at a time on one connection (see SerialClient); latency percentiles. */
async function serialLatencies(base: string, requests: { path: string; key?: string }[]) {
  const client = await SerialClient.connect(base);
  const latencies: number[] = [];
  try {
    for (const { path, key } of requests) {
      const s = performance.now();
      const reply = await client.get(path, key ? { authorization: `Bearer ${key}` } : {});
      latencies.push(performance.now() - s);
      if (reply.status !== 200) {
        throw new Error(
          `${path.split('?')[0]}: ${reply.status} ${reply.body.toString().slice(0, 300)}`,
        );
      }
    }
  } finally {
    client.close();
  }
  return serialSummary(latencies);
}

/**
 * The same reports' transactions run directly on the benchmark's database, one at a time, as the
 * report route runs them (no HTTP, no cache, no Redis): the database's part of an uncached report.
 */
async function directLatencies(databaseUrl: string, tenants: BenchTenant[], windows: string[][]) {
  const database = await openDatabase({ databaseUrl, dataDir: '', poolSize: 1 });
  const latencies: number[] = [];
  try {
    for (const [i, [from, to]] of windows.entries()) {
      const tenant = tenants[i % tenants.length]!.id;
      const s = performance.now();
      await inTransaction(database, { tenantId: tenant, genericPlans: true }, (tx) =>
        buildRoiReport(tx, tenant, null, { from: from!, to: to! }, 'month', 'USD', 'previous'),
      );
      latencies.push(performance.now() - s);
    }
  } finally {
    await database.close();
  }
  return serialSummary(latencies);
}

/**
 * One-year tenant-wide monthly reports compared with the 365 days before; each (tenant, window) is
 * asked once → uncached.
 */
const reportRequests = (tenants: BenchTenant[], windows: string[][]) =>
  windows.map(([from, to], i) => ({
    path: `/api/v1/reports/roi?from=${from}&to=${to}&groupBy=month&compare=previous`,
    key: tenants[i % tenants.length]!.key,
  }));

async function runBackend(backend: string) {
  const env: Record<string, string> = {};
  let dbName: string | undefined;
  if (backend === 'postgres') {
    dbName = `roi_bench_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(ADMIN_URL);
    url.pathname = `/${dbName}`;
    env.DATABASE_URL = url.href;
    env.REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
    env.REDIS_PREFIX = `bench-${Date.now().toString(36)}`;
  }
  const { base, child, dataDir } = await startServer(env);
  const serverPids = async () => {
    const app = child.pid ? [child.pid] : [];
    if (!dbName) return { app, db: [] };
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const backends = await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [dbName],
    );
    await admin.end();
    return { app, db: backends.rows.map((r) => r.pid) };
  };
  try {
    const t0 = performance.now();
    const tenants = await setup(base, child);
    console.error(`[${backend}] setup ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const imported = await withServerCpu(serverPids, () =>
      importAll(base, tenants, backend === 'postgres' ? IMPORT_CONCURRENCY : 1),
    );
    console.error(`[${backend}] import ${imported.rows} rows in ${imported.seconds.toFixed(1)} s`);
    const bigCsv = SKIP_CSV
      ? null
      : await withServerCpu(serverPids, () => importBigCsv(base, tenants[0]!));
    const rollups = await withServerCpu(serverPids, () => rebuildRollups(child));
    console.error(
      `[${backend}] workspace rollups: ${rollups.workspaces} workspaces, ${rollups.entries} stale entries in ${rollups.seconds.toFixed(2)} s`,
    );
    if (IMPORT_ONLY) return { backend, imported, bigCsv, rollups, reports: null };
    if (dbName) {
      // As pgbench does before its runs: the imports' dead rows vacuumed and statistics taken now,
      // rather than by autovacuum in the middle of the measures.
      const owner = new pg.Client({ connectionString: env.DATABASE_URL });
      await owner.connect();
      await owner.query('VACUUM (ANALYZE)');
      await owner.query('CHECKPOINT');
      await owner.end();
    }
    // Distinct one-year windows ending on the last days: every request misses the cache. The
    // first WARMUP are asked uncached and cached before anything is measured, so that the
    // measures see a process that has compiled its code, as one that has been serving does.
    const today = Date.parse(`${iso(Date.now())}T00:00:00Z`);
    const allWindows = Array.from({ length: WARMUP + REPORTS }, (_, i) => {
      const to = today - (1 + Math.floor(i / tenants.length)) * DAY;
      return [iso(to - 364 * DAY), iso(to)];
    });
    const warmup = allWindows.slice(0, WARMUP);
    const windows = allWindows.slice(WARMUP);
    for (let pass = 0; pass < 2; pass++)
      await serialLatencies(base, reportRequests(tenants, warmup));
    await serialLatencies(
      base,
      warmup.map(() => ({ path: '/healthz' })),
    );
    // Each measure starts on a settled machine: the previous phase's collections, compilations
    // and database work have run their course.
    const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    await settle();
    const uncached = await serialLatencies(base, reportRequests(tenants, windows));
    const uncachedLoad = os.loadavg()[0]!;
    await settle();
    let direct: Awaited<ReturnType<typeof directLatencies>> | null = null;
    if (env.DATABASE_URL) {
      // Warmed by the warm-up windows first, as the server's connections were.
      await directLatencies(env.DATABASE_URL, tenants, warmup);
      direct = await directLatencies(env.DATABASE_URL, tenants, windows);
    }
    await settle();
    const cached = await serialLatencies(base, reportRequests(tenants, windows));
    // The machine's floor for one request at a time: the same number of the simplest request.
    await settle();
    const healthSerial = await serialLatencies(
      base,
      windows.map(() => ({ path: '/healthz' })),
    );
    const cachedSerialLoad = os.loadavg()[0]!;
    // Throughput at 16 clients: /healthz and one cached tenant-wide default report, asked as the
    // target's script does and as a browser does, in alternating rounds, so that the VM's speed,
    // which drifts by a third within a minute here, weighs on each.
    const reportUrl = `${base}/api/v1/reports/roi?compare=previous`;
    const headers = { authorization: `Bearer ${tenants[0]!.key}` };
    await expectOk(request(base, 'GET', '/api/v1/reports/roi?compare=previous', headers), 'warm');
    // A browser, the dashboard's client, also names the encodings it accepts.
    const browserHeaders = { ...headers, 'accept-encoding': 'gzip, deflate, br, zstd' };
    const healthRounds: Measured<LoadResult>[] = [];
    const cachedRounds: Measured<LoadResult>[] = [];
    const browserRounds: Measured<LoadResult>[] = [];
    for (let round = 0; round < LOAD_ROUNDS; round++) {
      const roundMs = DURATION / LOAD_ROUNDS;
      healthRounds.push(
        await withServerCpu(serverPids, () =>
          runLoad({ url: `${base}/healthz`, concurrency: 16, durationMs: roundMs, warmupMs: 250 }),
        ),
      );
      cachedRounds.push(
        await withServerCpu(serverPids, () =>
          runLoad({ url: reportUrl, headers, concurrency: 16, durationMs: roundMs, warmupMs: 250 }),
        ),
      );
      browserRounds.push(
        await withServerCpu(serverPids, () =>
          runLoad({
            url: reportUrl,
            headers: browserHeaders,
            concurrency: 16,
            durationMs: roundMs,
            warmupMs: 250,
          }),
        ),
      );
    }
    const health = mergeMeasured(healthRounds);
    const healthLoad = healthRounds.at(-1)!.load;
    const cachedLoad = mergeMeasured(cachedRounds);
    const cachedLoadLoad = cachedLoad.load;
    const browserLoad = mergeMeasured(browserRounds);
    // The request pipeline's own floor (authentication, tenant, one transaction) on the same key.
    const floor = await runLoad({
      url: `${base}/api/v1/tenant`,
      headers,
      concurrency: 16,
      durationMs: DURATION,
    });
    const loads = {
      uncached: uncachedLoad,
      cached: cachedSerialLoad,
      health: healthLoad,
      cachedLoad: cachedLoadLoad,
      floor: os.loadavg()[0]!,
    };
    return {
      backend,
      imported,
      bigCsv,
      rollups,
      reports: {
        uncached,
        direct,
        cached,
        healthSerial,
        health,
        cachedLoad,
        browserLoad,
        floor,
        loads,
      },
    };
  } finally {
    child.send({ type: 'stop' });
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (dbName && process.env.BENCH_KEEP_DB === '1') console.log(`[postgres] kept ${dbName}`);
    else if (dbName) {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const cpu1000 = ({ rows, cpu }: { rows: number; cpu: ServerCpu | null }) => {
  if (!cpu) return '';
  const per1000 = (seconds: number) => f2((1000 * 1000 * seconds) / rows);
  return `; server CPU per 1,000 rows ${per1000(cpu.app + cpu.db)} ms: app ${per1000(cpu.app)}, database ${per1000(cpu.db)}`;
};
/** The server's CPU seconds: its process and its database backends. */
const cpuOf = (cpu: ServerCpu) => cpu.app + cpu.db;

/**
 * Throughput, latency and, when measured, the server's CPU per answered request (its process and
 * its database backends): unlike requests/s, that depends little on how much of the two cores the
 * load generator took.
 */
const load = (r: LoadResult & { cpu?: ServerCpu | null }) => {
  const cpu = r.cpu
    ? `, server CPU ${f1((1e6 * cpuOf(r.cpu)) / r.answered)} µs per request (app ${f1((1e6 * r.cpu.app) / r.answered)}, db ${f1((1e6 * r.cpu.db) / r.answered)})`
    : '';
  return `${r.rps.toFixed(0)} req/s (p50 ${f2(r.p50)} ms, p99 ${f2(r.p99)} ms, ${r.errors} errors${cpu})`;
};
/** `; server CPU per request N × /healthz's`, when both were measured. */
const cpuRatio = (r: Measured<LoadResult>, health: Measured<LoadResult>) =>
  r.cpu && health.cpu
    ? `; server CPU per request ${f2(cpuOf(r.cpu) / r.answered / (cpuOf(health.cpu) / health.answered))} × /healthz's`
    : '';

const loadAtStart = os.loadavg();
const results = [];
for (const backend of backends) results.push(await runBackend(backend));
agent.destroy();

const cpu =
  fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ??
  os.cpus()[0]?.model ??
  'unknown';
const out: string[] = [];
out.push(
  `Machine: nproc ${os.availableParallelism()}, ${cpu}, Node ${process.version}, load average at the start ${loadAtStart.map(f2).join(' / ')}, at the end ${os.loadavg().map(f2).join(' / ')}.`,
);
out.push(
  `Data: ${TENANTS} tenants × ${SITES} sites × ${DAYS} days (${TENANTS * SITES * DAYS} daily rows), one monthly service per site, one hourly service with 12 time entries per tenant.`,
);
for (const r of results) {
  out.push('');
  out.push(
    `**${r.backend === 'postgres' ? 'PostgreSQL 15 + Redis' : 'embedded PGlite (no Redis)'}**`,
  );
  out.push('');
  out.push('| measure | result | target |');
  out.push('|---|---|---|');
  out.push(
    `| import, JSON, ${r.imported.rows} rows in ${TENANTS * SITES} requests of ${DAYS} rows (${r.backend === 'postgres' ? IMPORT_CONCURRENCY : 1} at a time) | ${r.imported.rowsPerSecond.toFixed(0)} rows/s (${f1(r.imported.seconds)} s; per request p50 ${f1(r.imported.p50)} ms, p99 ${f1(r.imported.p99)} ms${cpu1000(r.imported)}; load ${f2(r.imported.load)}) | ≥ 100,000 rows/s |`,
  );
  if (r.bigCsv) {
    out.push(
      `| import, one CSV request of 100,000 rows (${(r.bigCsv.bytes / 2 ** 20).toFixed(1)} MiB) | ${r.bigCsv.rowsPerSecond.toFixed(0)} rows/s (${f2(r.bigCsv.seconds)} s${cpu1000(r.bigCsv)}; load ${f2(r.bigCsv.load)}) | ≥ 100,000 rows/s |`,
    );
  }
  const rebuilt = r.rollups;
  const rebuiltCpu = rebuilt.cpu
    ? `; server CPU ${f2(rebuilt.cpu.app + rebuilt.cpu.db)} s: app ${f2(rebuilt.cpu.app)}, database ${f2(rebuilt.cpu.db)}`
    : '';
  out.push(
    `| workspace rollups rebuilt after the imports (the worker's work, done at once) | ${rebuilt.workspaces} workspaces (${rebuilt.entries} stale months) in ${f2(rebuilt.seconds)} s${rebuiltCpu} | |`,
  );
  if (!r.reports) {
    out.push('| report measures | skipped (BENCH_IMPORT_ONLY=1) | |');
    continue;
  }
  const { uncached, direct, cached, healthSerial, health, cachedLoad, browserLoad, floor, loads } =
    r.reports;
  const serial = (l: { p50: number; p95: number; p99: number }) =>
    `p50 ${f2(l.p50)} ms, p95 ${f2(l.p95)} ms, p99 ${f2(l.p99)} ms`;
  out.push(
    `| tenant-wide one-year monthly report, uncached, ${uncached.n} requests one at a time (after ${WARMUP} others, uncached and cached, not measured) | ${serial(uncached)} (load ${f2(loads.uncached)}) | p99 ≤ 10 ms |`,
  );
  if (direct) {
    out.push(
      `| same reports' transactions run directly (no HTTP, cache or Redis: the database's part) | ${serial(direct)} | |`,
    );
  }
  out.push(`| same reports, cached | ${serial(cached)} (load ${f2(loads.cached)}) | p99 ≤ 3 ms |`);
  out.push(
    `| GET /healthz, ${healthSerial.n} requests one at a time (the machine's floor) | ${serial(healthSerial)} | |`,
  );
  out.push(
    `| GET /healthz, 16 clients, ${DURATION / 1000} s in ${LOAD_ROUNDS} rounds alternating with the next two rows' | ${load(health)} (load ${f2(loads.health)}) | |`,
  );
  out.push(
    `| cached report, 16 clients, ${DURATION / 1000} s in ${LOAD_ROUNDS} rounds | ${load(cachedLoad)} = ${((100 * cachedLoad.rps) / health.rps).toFixed(0)} % of /healthz${cpuRatio(cachedLoad, health)} (load ${f2(loads.cachedLoad)}) | ≥ 50 % of /healthz |`,
  );
  out.push(
    `| the same, as a browser asks for it (Accept-Encoding: gzip, deflate, br, zstd), in the same rounds | ${load(browserLoad)} = ${((100 * browserLoad.rps) / health.rps).toFixed(0)} % of /healthz${cpuRatio(browserLoad, health)} (load ${f2(browserLoad.load)}) | |`,
  );
  out.push(
    `| GET /api/v1/tenant (same API key: the pipeline's floor), 16 clients | ${load(floor)} = ${((100 * floor.rps) / health.rps).toFixed(0)} % of /healthz (load ${f2(loads.floor)}) | |`,
  );
}
console.log(out.join('\n'));
