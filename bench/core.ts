/**
 * Core request path: `/healthz` against an authenticated tenant request (session cookie + CSRF-free
 * GET /api/v1/tenant and an API-key GET /api/v1/members), p50/p99 and requests/s at 16 concurrent
 * clients, on the embedded database and on PostgreSQL + Redis.
 *
 *   npm run build && npx tsx bench/core.ts            # both backends
 *   BENCH_BACKENDS=embedded npx tsx bench/core.ts
 */
import pg from 'pg';
import { runLoad, type LoadResult } from './lib/load.ts';
import { machine, startBenchServer } from './lib/server.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
const backends = (process.env.BENCH_BACKENDS ?? 'embedded,postgres').split(',');

async function setupTenant(baseUrl: string) {
  const email = `bench-${Date.now()}@example.test`;
  const signup = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'benchmark password', name: 'Bench' }),
  });
  const cookies = signup.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const cookie = cookies.join('; ');
  const csrf = cookies.find((c) => c.startsWith('csrf_token='))!.split('=')[1]!;
  const tenant = (await (
    await fetch(`${baseUrl}/api/v1/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
      body: JSON.stringify({ name: 'Bench', subdomain: `bench-${Date.now()}` }),
    })
  ).json()) as { id: string };
  const key = (await (
    await fetch(`${baseUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie,
        'x-csrf-token': csrf,
        'x-tenant-id': tenant.id,
      },
      body: JSON.stringify({ name: 'bench', role: 'admin' }),
    })
  ).json()) as { key: string };
  return { cookie, tenantId: tenant.id, apiKey: key.key };
}

const row = (name: string, r: LoadResult) =>
  `| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} |`;

const lines: string[] = [];
for (const backend of backends) {
  const env: Record<string, string> = {};
  let dbName: string | undefined;
  if (backend === 'postgres') {
    dbName = `roi_bench_${Date.now()}`;
    const admin = new pg.Client({
      connectionString: 'postgres://postgres@127.0.0.1:5432/postgres',
    });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    env.DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${dbName}`;
    env.REDIS_URL = 'redis://127.0.0.1:6379';
    env.REDIS_PREFIX = `bench-${Date.now()}`;
  }
  const server = await startBenchServer(env, 3900 + lines.length);
  try {
    const { cookie, tenantId, apiKey } = await setupTenant(server.baseUrl);
    const health = await runLoad({
      url: `${server.baseUrl}/healthz`,
      concurrency: 16,
      durationMs: DURATION,
    });
    const session = await runLoad({
      url: `${server.baseUrl}/api/v1/tenant`,
      headers: { cookie, 'x-tenant-id': tenantId },
      concurrency: 16,
      durationMs: DURATION,
    });
    const keyed = await runLoad({
      url: `${server.baseUrl}/api/v1/members`,
      headers: { authorization: `Bearer ${apiKey}` },
      concurrency: 16,
      durationMs: DURATION,
    });
    lines.push(
      `\n**${backend === 'postgres' ? 'PostgreSQL 15 + Redis 7' : 'embedded PGlite'}**, 16 concurrent clients, ${DURATION / 1000} s each:\n`,
    );
    lines.push('| request | req/s | p50 ms | p99 ms | errors |', '|---|---|---|---|---|');
    lines.push(
      row('GET /healthz', health),
      row('GET /api/v1/tenant (session)', session),
      row('GET /api/v1/members (API key)', keyed),
    );
  } finally {
    await server.stop();
    if (dbName) {
      const admin = new pg.Client({
        connectionString: 'postgres://postgres@127.0.0.1:5432/postgres',
      });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}
console.log(`Machine: ${machine()}\n${lines.join('\n')}`);
