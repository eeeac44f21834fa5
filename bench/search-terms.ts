/**
 * Search terms benchmark (issue 14, Speed), on PostgreSQL (+ Redis when REDIS_URL is set): the app
 * in this process (API and worker) backfills sites from a Google-compatible server on 127.0.0.1
 * (the same FakeGoogle the sandbox and the tests use), end to end: POST /sync → the worker reads
 * every page from the server and writes totals, term rows and rollups → status idle. Then the
 * top-100 queries of one site, uncached, one request at a time over HTTP, for a 90-day and a
 * 16-month range.
 *
 *   npx tsx bench/search-terms.ts                                  # full: 4 sites × 16 months × 1,500 + 1,500 terms/day
 *   BENCH_TERMS=300 BENCH_SITES=2 npx tsx bench/search-terms.ts   # a reduced run
 *
 * Targets: backfill ≥ 25,000 term rows/s; top-100 p99 ≤ 50 ms (90 days) and ≤ 250 ms (16 months).
 * A fresh database `roi_bench_terms_<random>` is created through BENCH_DATABASE_ADMIN_URL and
 * dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { loadConfig } from '../src/server/config.ts';
import { createHttpServer } from '../src/server/http/app.ts';
import { createLogger } from '../src/server/logger.ts';
import { FakeGoogle } from '../src/server/sandbox/google/fake-google.ts';
import { createServices } from '../src/server/services.ts';
import { startWorker } from '../src/server/worker/worker.ts';
import { changeIdentityRowsAsOwner, tenantIdentity } from '../src/server/data/identity-changes.ts';

const TERMS = Number(process.env.BENCH_TERMS ?? 1500);
const SITES = Number(process.env.BENCH_SITES ?? 4);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const FROM = process.env.BENCH_FROM ?? '2024-09-01';
const TO = process.env.BENCH_TO ?? '2025-12-31';
const ADMIN_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A minimal cookie-and-CSRF client. */
class Client {
  cookies = new Map<string, string>();
  tenant: string | undefined;
  constructor(readonly base: string) {}
  async call(method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.tenant) headers['x-tenant-id'] = this.tenant;
    if (this.cookies.size) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const csrf = this.cookies.get('csrf_token');
      if (csrf) headers['x-csrf-token'] = csrf;
    }
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text,
    };
  }
}

const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function main() {
  const dbName = `roi_bench_terms_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${dbName}`;

  const fake = new FakeGoogle({
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    autoApprove: true,
    termsPerDay: TERMS,
  });
  const googleServer = http.createServer(fake.handle);
  await new Promise<void>((r) => googleServer.listen(0, '127.0.0.1', r));
  const googleUrl = `http://127.0.0.1:${(googleServer.address() as AddressInfo).port}`;

  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: process.env.REDIS_URL,
    REDIS_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
    RATE_LIMIT_RPM: '0',
    GOOGLE_CLIENT_ID: 'bench-client',
    GOOGLE_CLIENT_SECRET: 'bench-secret',
    GOOGLE_API_BASE: googleUrl,
  });
  const services = await createServices(config, createLogger(config.LOG_LEVEL));
  const server = createHttpServer(services);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  (config as { appUrl: string }).appUrl = base;
  const worker = await startWorker(services);

  try {
    const c = new Client(base);
    await c.call('POST', '/api/v1/auth/signup', {
      email: `bench-${randomBytes(4).toString('hex')}@example.test`,
      password: 'correct horse battery',
      name: 'Bench',
    });
    const t = await c.call('POST', '/api/v1/tenants', {
      name: 'Bench',
      subdomain: `bench-${randomBytes(4).toString('hex')}`,
    });
    c.tenant = t.body.id;
    const tenantId = t.body.id as string;
    await changeIdentityRowsAsOwner(services.database, [tenantIdentity(tenantId)], (tx) =>
      tx.updateTable('tenants').set({ plan: 'agency' }).where('id', '=', tenantId).execute(),
    );
    const start = await c.call('POST', '/api/v1/integrations/google');
    const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
    const back = new URL(consent.headers.get('location')!);
    const cb = await c.call('GET', `${back.pathname}${back.search}`);
    const integrationId = new URL(cb.headers.get('location')!).searchParams.get('connected');

    const siteIds: string[] = [];
    for (let i = 0; i < SITES; i++) {
      const site = await c.call('POST', '/api/v1/sites', {
        name: `S${i}`,
        domain: `s${i}.example.com`,
      });
      siteIds.push(site.body.id);
      // Each site reads the same property: the data differs by site only in ids, not in size.
      const link = await c.call('PUT', `/api/v1/sites/${site.body.id}/sources`, {
        integrationId,
        searchConsoleProperty: 'https://www.example.com/',
      });
      if (link.status !== 200) throw new Error(`link: ${JSON.stringify(link.body)}`);
    }

    const rowsPerSite = days(FROM, TO) * TERMS * 2;
    const rates: number[] = [];
    for (const siteId of siteIds) {
      const began = performance.now();
      await c.call('POST', `/api/v1/sites/${siteId}/sync`, { from: FROM, to: TO });
      for (;;) {
        const s = await c.call('GET', `/api/v1/sites/${siteId}/sync`);
        if (s.body.status === 'idle') break;
        if (s.body.status === 'failed') throw new Error(s.body.lastError);
        await new Promise((r) => setTimeout(r, 100));
      }
      const seconds = (performance.now() - began) / 1000;
      rates.push(rowsPerSite / seconds);
      console.log(
        `backfill ${siteId}: ${rowsPerSite.toLocaleString()} term rows in ${seconds.toFixed(1)} s = ${Math.round(rowsPerSite / seconds).toLocaleString()} rows/s`,
      );
    }

    const admin2 = new pg.Client({ connectionString: databaseUrl.toString() });
    await admin2.connect();
    await admin2.query('VACUUM ANALYZE');
    await admin2.end();

    const site = siteIds[0]!;
    for (const [label, from] of [
      ['90 days', new Date(Date.parse(TO) - 89 * 86_400_000).toISOString().slice(0, 10)],
      ['16 months', FROM],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < QUERIES + 20; i++) {
        const t0 = performance.now();
        const res = await c.call(
          'GET',
          `/api/v1/sites/${site}/search-terms?from=${from}&to=${TO}&limit=100`,
        );
        if (res.status !== 200 || res.body.data.length === 0)
          throw new Error(JSON.stringify(res.body));
        if (i >= 20) times.push(performance.now() - t0);
      }
      console.log(
        `top-100 queries, ${label}: p50 ${pct(times, 50).toFixed(1)} ms, p99 ${pct(times, 99).toFixed(1)} ms (${QUERIES} requests, one at a time)`,
      );
    }
    console.log(
      `config: ${SITES} sites, ${TERMS} queries + ${TERMS} pages/day, ${FROM}..${TO} (${days(FROM, TO)} days), redis ${config.REDIS_URL ? 'on' : 'off'}`,
    );
  } finally {
    await worker.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await services.close();
    googleServer.closeAllConnections();
    await new Promise((r) => googleServer.close(r));
    await admin.query(`DROP DATABASE ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
