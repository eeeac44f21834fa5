/**
 * Report PDF benchmark (issue 15 target: ≤ 1.5 s for a 12-month, 25-site report), in process on
 * the embedded database: one workspace with BENCH_SITES sites (25), each with a year of daily
 * metrics, a retainer and annotations; then BENCH_RUNS (20) requests, one at a time, of
 *
 * - GET /api/v1/reports/roi?from=…&to=…&format=pdf (every site, the last 12 whole months), and
 * - GET /api/v1/public/reports/<token>?format=pdf (a share link over the same sites and months),
 *
 * each timed from request to the last byte (read the data in the transaction, render after), and
 * the renderer alone on the same data. Prints p50, p95 and max in ms.
 *
 *   npx tsx bench/pdf.ts
 *   BENCH_SITES=5 BENCH_RUNS=5 npx tsx bench/pdf.ts   # a small run
 */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/server/config.ts';
import { openDatabase } from '../src/server/data/database.ts';
import { migrate } from '../src/server/data/migrate.ts';
import { inTransaction } from '../src/server/data/scoped-transaction.ts';
import {
  readSharedReport,
  findSharedLink,
} from '../src/server/domain/report-links/shared-report.ts';
import { reportPdfInput } from '../src/server/domain/reports/report-document.ts';
import { renderRoiReportPdf } from '../src/server/domain/reports/report-pdf.ts';
import { createHttpServer } from '../src/server/http/app.ts';
import { createLogger } from '../src/server/logger.ts';
import { createServices } from '../src/server/services.ts';
import { changeIdentityRowsAsOwner, tenantIdentity } from '../src/server/data/identity-changes.ts';

const SITES = Number(process.env.BENCH_SITES ?? 25);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const TARGET_MS = 1500;

const database = await openDatabase({ dataDir: 'memory://' });
await migrate(database);
const config = loadConfig({
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_RPM: '0',
} as NodeJS.ProcessEnv);
const services = await createServices(config, createLogger('silent'), { database });
const server = createHttpServer(services);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
(config as { appUrl: string }).appUrl = base;

let cookie = '';
let csrf = '';
let tenantId = '';
async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(cookie ? { cookie, 'x-csrf-token': csrf } : {}),
      ...(tenantId ? { 'x-tenant-id': tenantId } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [name, value] = pair!.split('=');
    if (name === 'sid') cookie = `sid=${value}`;
    if (name === 'csrf_token') csrf = value!;
  }
  if (cookie && csrf && !cookie.includes('csrf_token')) cookie = `${cookie}; csrf_token=${csrf}`;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

// The last 12 whole months, as the last_12_months preset reads them.
const now = new Date();
const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
const from = new Date(Date.UTC(monthStart.getUTCFullYear() - 1, monthStart.getUTCMonth(), 1));
const to = new Date(monthStart.getTime() - 86_400_000);
const iso = (d: Date) => d.toISOString().slice(0, 10);

console.log(`setting up ${SITES} sites × a year of days…`);
await call('POST', '/api/v1/auth/signup', {
  email: `bench-${Date.now()}@example.test`,
  password: 'correct horse battery',
  name: 'Bench',
});
tenantId = (
  await (
    await call('POST', '/api/v1/tenants', { name: 'Bench', subdomain: `bench-${Date.now()}` })
  ).json()
).id;
await changeIdentityRowsAsOwner(database, [tenantIdentity(tenantId)], (tx) =>
  tx.updateTable('tenants').set({ plan: 'agency' }).where('id', '=', tenantId).execute(),
);
await call('PATCH', '/api/v1/tenant', {
  branding: { displayName: 'Bench Agency', primaryColor: '#7a1fb0' },
});
const siteIds: string[] = [];
for (let s = 0; s < SITES; s++) {
  const site = await (
    await call('POST', '/api/v1/sites', { name: `Site ${s + 1}`, domain: `site${s + 1}.example` })
  ).json();
  siteIds.push(site.id);
  const rows = [];
  for (let d = from.getTime(); d <= to.getTime(); d += 86_400_000) {
    rows.push({
      date: iso(new Date(d)),
      revenue: 10_000 + ((d / 86_400_000 + s) % 50) * 100,
      sessions: 40,
    });
  }
  await call('POST', `/api/v1/sites/${site.id}/metrics`, { rows });
  await call('POST', '/api/v1/services', {
    siteId: site.id,
    name: 'Retainer',
    category: 'seo',
    billing: 'monthly',
    amount: 150_000,
    startDate: iso(from),
  });
  await call('POST', '/api/v1/annotations', {
    siteId: site.id,
    date: iso(new Date(from.getTime() + 40 * 86_400_000)),
    title: `Launch on site ${s + 1}`,
  });
}
const link = await (
  await call('POST', '/api/v1/report-links', {
    name: 'Bench',
    siteIds,
    period: { preset: 'last_12_months' },
  })
).json();
const token = (link.url as string).split('/r/')[1]!;

async function measure(label: string, run: () => Promise<void>) {
  await run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const p50 = pick(0.5);
  const p95 = pick(0.95);
  const max = times[times.length - 1]!;
  console.log(
    `${label.padEnd(44)} p50 ${p50.toFixed(0).padStart(5)} ms  p95 ${p95.toFixed(0).padStart(5)} ms  max ${max.toFixed(0).padStart(5)} ms  ${max <= TARGET_MS ? 'within' : 'OVER'} ${TARGET_MS} ms`,
  );
}

const pdfPath = `/api/v1/reports/roi?from=${iso(from)}&to=${iso(to)}&format=pdf`;
let size = 0;
await measure('dashboard PDF (HTTP, read + render)', async () => {
  const res = await call('GET', pdfPath);
  size = (await res.arrayBuffer()).byteLength;
});
await measure('share link PDF (HTTP, read + render)', async () => {
  const res = await fetch(`${base}/api/v1/public/reports/${token}?format=pdf`);
  if (res.status !== 200) throw new Error(`share PDF ${res.status}`);
  await res.arrayBuffer();
});
const doc = await inTransaction(database, {}, async (tx) => {
  const found = await findSharedLink(tx, token);
  return readSharedReport(tx, found!, { withLogo: true });
});
await measure('renderer alone (pdfkit)', async () => {
  await renderRoiReportPdf(reportPdfInput(doc));
});
console.log(
  `${SITES} sites, ${iso(from)} to ${iso(to)}, ${RUNS} runs; PDF ${(size / 1024).toFixed(0)} KiB`,
);

server.close();
server.closeAllConnections();
await services.close();
await database.close();
