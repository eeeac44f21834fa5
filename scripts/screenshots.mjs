// `npm run screenshots`: starts the app as `npm start` does (fresh embedded database, offline
// sandboxes), fills a demo workspace through the API, and saves the main pages in the light and
// the dark theme to docs/screenshots/<page>-<theme>.png. Needs Chromium (CHROMIUM_PATH, default
// /usr/bin/chromium; Debian's package `chromium`).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'docs/screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WORKSPACE = 'northwind-seo';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startApp() {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-screenshots-'));
  const env = { ...process.env, PORT: String(port), DATA_DIR: dataDir };
  for (const key of Object.keys(env)) {
    if (
      /^(DATABASE_URL|REDIS_URL|MONGODB_URL|STRIPE_|GOOGLE_|SMTP_URL$|APP_URL$|BASE_DOMAIN$)/.test(
        key,
      )
    )
      delete env[key];
  }
  let output = '';
  const child = spawn(process.execPath, [path.join(root, 'scripts/start.mjs')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const baseUrl = `http://localhost:${port}`;
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) {
        return {
          baseUrl,
          async stop() {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await exited;
            fs.rmSync(dataDir, { recursive: true, force: true });
          },
        };
      }
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`the app did not start:\n${output.slice(-3000)}`);
}

const isoDay = (daysAgo) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** A demo workspace: two sites with 120 days of metrics, a retainer, hourly work, a member invited. */
async function seed(context) {
  const call = async (method, url, body) => {
    const cookies = await context.cookies();
    const csrf = cookies.find((c) => c.name === 'csrf_token')?.value;
    const res = await context.request.fetch(`/api/v1${url}`, {
      method,
      headers: {
        'X-Tenant-ID': WORKSPACE,
        ...(csrf ? { 'X-CSRF-Token': decodeURIComponent(csrf) } : {}),
      },
      ...(body === undefined ? {} : { data: body }),
    });
    if (!res.ok()) throw new Error(`${method} ${url}: ${res.status()} ${await res.text()}`);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  };
  await call('POST', '/auth/signup', {
    email: 'nora@northwind-seo.test',
    password: 'correct horse battery',
    name: 'Nora Northwind',
  });
  await call('POST', '/tenants', { name: 'Northwind SEO', subdomain: WORKSPACE });
  const sites = [];
  for (const [i, [name, domain, client]] of [
    ['Bloom Florist', 'bloom-florist.test', 'Bloom Ltd'],
    ['Harbor Dental', 'harbor-dental.test', 'Harbor Dental Group'],
  ].entries()) {
    const site = await call('POST', '/sites', { name, domain, clientName: client });
    sites.push(site);
    const rows = Array.from({ length: 120 }, (_, d) => {
      const trend = (120 - d) / 120;
      const wave = Math.sin(d / 4 + i) * 0.15 + 1;
      return {
        date: isoDay(d),
        sessions: Math.round((180 + 220 * trend) * wave * (i ? 0.6 : 1)),
        clicks: Math.round((60 + 90 * trend) * wave * (i ? 0.7 : 1)),
        impressions: Math.round((1500 + 2500 * trend) * wave),
        position: Math.round((14 - 6 * trend) * 10) / 10,
        conversions: Math.round((3 + 6 * trend) * wave),
        revenue: Math.round((9_000 + 26_000 * trend) * wave * (i ? 0.8 : 1)),
      };
    });
    await call('POST', `/sites/${site.id}/metrics`, { rows });
  }
  await call('POST', '/services', {
    siteId: sites[0].id,
    name: 'SEO retainer',
    category: 'Content',
    billing: 'monthly',
    amount: 90_000,
    startDate: isoDay(110),
  });
  await call('POST', '/services', {
    siteId: sites[1].id,
    name: 'Local SEO retainer',
    category: 'Local',
    billing: 'monthly',
    amount: 60_000,
    startDate: isoDay(100),
  });
  const hourly = await call('POST', '/services', {
    siteId: sites[0].id,
    name: 'Technical audit',
    category: 'Technical SEO',
    billing: 'hourly',
    amount: 12_000,
    startDate: isoDay(30),
  });
  for (const [d, hours, note] of [
    [20, 3, 'Crawl and report'],
    [12, 2.5, 'Redirect fixes'],
    [4, 1.5, 'Schema markup'],
  ]) {
    await call('POST', `/services/${hourly.id}/time-entries`, { date: isoDay(d), hours, note });
  }
  await call('POST', '/invitations', {
    email: 'carl@bloom-florist.test',
    role: 'client',
    siteIds: [sites[0].id],
  });
  await call('POST', '/api-keys', { name: 'Looker Studio sync', role: 'member' });
  await call('POST', '/report-schedules', {
    name: 'Monthly client report',
    siteIds: [sites[0].id],
    recipients: ['carl@bloom-florist.test'],
    frequency: 'monthly',
    dayOfMonth: 1,
    hour: 8,
    period: { preset: 'previous_month' },
    attachPdf: true,
  });
  const link = await call('POST', '/report-links', {
    name: 'Bloom Florist, last 90 days',
    siteIds: [sites[0].id],
    period: { preset: 'last_90_days' },
  });
  return { sites, shareUrl: new URL(link.url).pathname };
}

const PAGES = ({ sites, shareUrl }) => [
  ['login', '/login'],
  ['dashboard', `/w/${WORKSPACE}`],
  ['sites', `/w/${WORKSPACE}/sites`],
  ['site', `/w/${WORKSPACE}/sites/${sites[0].id}`],
  ['services', `/w/${WORKSPACE}/services`],
  ['members', `/w/${WORKSPACE}/members`],
  ['billing', `/w/${WORKSPACE}/billing`],
  ['api-keys', `/w/${WORKSPACE}/api-keys`],
  ['audit-log', `/w/${WORKSPACE}/audit`],
  ['settings', `/w/${WORKSPACE}/settings`],
  ['integrations', `/w/${WORKSPACE}/integrations`],
  ['shared-reports', `/w/${WORKSPACE}/shared-reports`],
  ['report-emails', `/w/${WORKSPACE}/report-emails`],
  // The public report a client opens from a share link (no session).
  ['shared-report-page', shareUrl],
];

const app = await startApp();
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  fs.mkdirSync(outDir, { recursive: true });
  const signedOut = await browser.newContext({
    baseURL: app.baseUrl,
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const context = await browser.newContext({
    baseURL: app.baseUrl,
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const seeded = await seed(context);
  const page = await context.newPage();
  const guest = await signedOut.newPage();
  let count = 0;
  for (const [name, url] of PAGES(seeded)) {
    const p = name === 'login' || name === 'shared-report-page' ? guest : page;
    await p.goto(url);
    await p.locator('h1').first().waitFor();
    await p.waitForLoadState('networkidle');
    await p
      .locator('.loading')
      .first()
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => undefined);
    for (const theme of ['light', 'dark']) {
      await p.emulateMedia({ colorScheme: theme });
      await p.evaluate(
        () =>
          new Promise((r) =>
            globalThis.requestAnimationFrame(() => globalThis.requestAnimationFrame(r)),
          ),
      );
      const file = path.join(outDir, `${name}-${theme}.png`);
      await p.screenshot({ path: file, fullPage: true });
      count++;
    }
  }
  console.log(`${count} screenshots in ${path.relative(root, outDir)}/`);
} finally {
  await browser.close();
  await app.stop();
}
