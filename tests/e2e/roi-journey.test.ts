import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, presetRange, todayIn } from '../../src/web/lib/dates.ts';
import { formatMoney, formatPercent } from '../../src/web/lib/money.ts';
import { startApp, type RunningApp } from './support/app.ts';
import {
  confirmIn,
  launchBrowser,
  openPage,
  unlabelledControls,
  type WatchedPage,
} from './support/browser.ts';

/**
 * The journey of an agency owner, in a real browser against the app as `npm start` runs it:
 * sign up → workspace → sites → CSV import → services → the dashboard shows what the API
 * reports → a plan limit → upgrade to Pro through the sandbox checkout → billing shows Pro →
 * the audit log lists it all. Then a client, invited with one site, sees only that site.
 */
describe('the web app, end to end', () => {
  let app: RunningApp;
  let browser: Browser;
  let owner: WatchedPage;
  const workspace = 'acme-seo';
  const ownerEmail = 'olivia@acme-seo.test';
  const clientEmail = 'carl@client.test';
  let inviteLink = '';
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
    owner = await openPage(browser, app.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const expectNoProblems = async (w: WatchedPage) => {
    expect(w.problems, w.problems.join('\n')).toEqual([]);
    // Every visible input of the page the test ends on has a label.
    expect(await unlabelledControls(w.page)).toEqual([]);
  };
  const apiGet = async (w: WatchedPage, path: string) => {
    const res = await w.context.request.get(`/api/v1${path}`, {
      headers: { 'X-Tenant-ID': workspace },
    });
    expect(res.status(), await res.text()).toBe(200);
    return res.json() as Promise<any>;
  };
  // The import shows its column mapping and preview first; nothing is written until Import.
  const importMapped = (page: Page) =>
    page.getByRole('button', { name: /^Import [\d,]+ rows$/ }).click();
  const nav = (page: Page, label: string) =>
    page
      .getByRole('navigation', { name: 'Primary' })
      .getByRole('link', { name: label, exact: true })
      .click();

  it('signs up and creates a workspace, checking the subdomain while typing', async () => {
    const { page } = owner;
    await page.goto('/');
    await page.waitForURL('**/login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByLabel('Your name').fill('Olivia Owner');
    await page.getByLabel('Work email').fill(ownerEmail);
    // A short password is caught before the request, beside its field.
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect
      .poll(() => page.locator('.field-error').first().textContent())
      .toContain('at least 10 characters');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/workspaces/new');

    await page.getByLabel('Workspace name').fill('Acme SEO');
    await expect.poll(() => page.getByLabel('Subdomain').inputValue()).toBe(workspace);
    await expect
      .poll(() => page.getByTestId('subdomain-status').textContent())
      .toContain('is available');
    // A reserved name is refused as you type.
    await page.getByLabel('Subdomain').fill('admin');
    await expect.poll(() => page.getByTestId('subdomain-status').textContent()).toContain('✗');
    await page.screenshot({ path: '/tmp/roi-e2e-new-workspace.png' });
    await page.getByLabel('Subdomain').fill(workspace);
    await expect
      .poll(() => page.getByTestId('subdomain-status').textContent())
      .toContain('is available');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(`**/w/${workspace}`);
    await page.getByText('No sites yet').waitFor();
    await expectNoProblems(owner);
  });

  async function addSite(page: Page, name: string, domain: string, clientName = '') {
    await nav(page, 'Sites');
    await page.getByRole('button', { name: 'Add site' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Site name').fill(name);
    await dialog.getByLabel('Domain').fill(domain);
    if (clientName) await dialog.getByLabel('Client name (optional)').fill(clientName);
    await dialog.getByRole('button', { name: 'Add site' }).click();
  }

  const csvRows: {
    date: string;
    sessions: number;
    revenue: string;
    clicks: number;
    impressions: number;
    position: number;
  }[] = [];

  it('adds a site and imports its metrics from CSV, showing every bad row first', async () => {
    const { page } = owner;
    await addSite(page, 'Bloom Florist', 'https://www.bloom-florist.test/', 'Bloom Ltd');
    await page.getByRole('heading', { name: 'Bloom Florist', level: 1 }).waitFor();

    // A file with bad rows: nothing is written and each bad line is listed.
    const bad = 'date,sessions,revenue\n2026-13-01,10,5.00\n' + `${today},abc,1.00\n`;
    await page
      .getByLabel(/Choose a CSV file/)
      .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await importMapped(page);
    const errors = page.getByTestId('import-errors');
    await errors.waitFor();
    expect(await errors.locator('tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await errors.textContent()).toContain('2');

    for (let i = 0; i < 20; i++) {
      const date = addDays(today, -i);
      const revenue = `${100 + i}.${String(i * 3).padStart(2, '0')}`;
      csvRows.push({
        date,
        sessions: 200 + i,
        revenue,
        clicks: 50 + i,
        impressions: 1000 + i * 10,
        position: 8.5,
      });
    }
    const csv =
      'date,sessions,revenue,clicks,impressions,position\n' +
      csvRows
        .map(
          (r) => `${r.date},${r.sessions},${r.revenue},${r.clicks},${r.impressions},${r.position}`,
        )
        .join('\n') +
      '\n';
    await page
      .getByLabel(/Choose a CSV file/)
      .setInputFiles({ name: 'bloom.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await importMapped(page);
    await expect
      .poll(() =>
        page
          .getByTestId('import-result')
          .textContent()
          .catch(() => ''),
      )
      .toContain('20 rows received');
    // The metrics chart draws once the report reloads.
    await page
      .locator('figure[aria-label="Site metrics over time"] .recharts-surface')
      .first()
      .waitFor();
    await page.screenshot({ path: '/tmp/roi-e2e-site.png', fullPage: true });
    await expectNoProblems(owner);
  });

  it('explains the plan limit where it happens (free plan: 2 sites)', async () => {
    const { page } = owner;
    await addSite(page, 'Harbor Dental', 'harbor-dental.test');
    await page.getByRole('heading', { name: 'Harbor Dental', level: 1 }).waitFor();
    // A Search Console performance export is imported as exported.
    const gsc =
      'Date,Clicks,Impressions,CTR,Position\n' +
      [0, 1, 2]
        .map((i) => `${addDays(today, -i)},${10 + i},${400 + i},2.5%,${(11.2 + i).toFixed(1)}`)
        .join('\n') +
      '\n';
    await page.getByLabel(/Choose a CSV file/).setInputFiles({
      name: 'Dates.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(gsc),
    });
    await importMapped(page);
    await expect
      .poll(() =>
        page
          .getByTestId('import-result')
          .textContent()
          .catch(() => ''),
      )
      .toContain('3 rows received');
    // Editing a site from its page.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('dialog').getByLabel('Client name (optional)').fill('Harbor Dental Group');
    await page.getByRole('dialog').getByRole('button', { name: 'Save site' }).click();
    await page.getByText('client: Harbor Dental Group').waitFor();

    await addSite(page, 'Third Site', 'third.test');
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Plan limit reached').waitFor();
    await dialog.getByRole('link', { name: /upgrade/i }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    // The list says where the workspace stands before the next attempt.
    await page.getByText('2 of 2 sites on the Free plan').waitFor();
    await expectNoProblems(owner);
  });

  it('records a monthly retainer and hourly work with a time entry', async () => {
    const { page } = owner;
    await nav(page, 'Services');
    await page.getByRole('button', { name: 'Add service' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByLabel('Site').selectOption({ label: 'Bloom Florist' });
    await dialog.getByLabel('Service name').fill('SEO retainer');
    await dialog.getByLabel('Category').fill('Content');
    await dialog.getByLabel('Billing').selectOption('monthly');
    // The shared schema's rule, checked before sending, shown beside its field.
    await dialog.getByLabel(/^Amount/).fill('750.00');
    await dialog.getByLabel('Start date').fill(addDays(today, -40));
    await dialog.getByLabel('End date (optional)').fill(addDays(today, -60));
    await dialog.getByRole('button', { name: 'Add service' }).click();
    await expect
      .poll(() => dialog.locator('.field-error').first().textContent())
      .toContain('Must not be before start date');
    await dialog.getByLabel('End date (optional)').fill('');
    await dialog.getByRole('button', { name: 'Add service' }).click();
    await page.getByTestId('services-table').getByText('SEO retainer').waitFor();

    await page.getByRole('button', { name: 'Add service' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Site').selectOption({ label: 'Bloom Florist' });
    await dialog.getByLabel('Service name').fill('Technical audit hours');
    await dialog.getByLabel('Category').fill('Technical SEO');
    await dialog.getByLabel('Billing').selectOption('hourly');
    await dialog.getByLabel(/^Amount/).fill('120');
    await dialog.getByLabel('Start date').fill(addDays(today, -10));
    await dialog.getByRole('button', { name: 'Add service' }).click();
    await page.getByTestId('services-table').getByText('Technical audit hours').waitFor();

    await page.getByRole('button', { name: 'Time entries' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Date').fill(addDays(today, -2));
    await dialog.getByLabel('Hours').fill('2.5');
    await dialog.getByLabel('Note (optional)').fill('Crawl and fixes');
    await dialog.getByRole('button', { name: 'Log hours' }).click();
    await dialog.getByText('Crawl and fixes').waitFor();
    expect(await dialog.locator('tfoot').textContent()).toContain('$300.00');
    await page.screenshot({ path: '/tmp/roi-e2e-time-entries.png' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblems(owner);
  });

  it('shows on the dashboard exactly what GET /reports/roi reports', async () => {
    const { page } = owner;
    await nav(page, 'Dashboard');
    await page.getByTestId('kpi-value').waitFor();
    // The default view: the last 12 full months, compared with the 12 months before.
    const period = presetRange('last_12_months', todayIn('UTC'));
    const report = await apiGet(
      owner,
      `/reports/roi?from=${period.from}&to=${period.to}&groupBy=month&compare=previous`,
    );
    const inPeriod = (d: string) => d >= period.from && d <= period.to;
    expect(report.totals.revenue).toBe(
      csvRows
        .filter((r) => inPeriod(r.date))
        .reduce((sum, r) => sum + Math.round(Number(r.revenue) * 100), 0),
    );
    expect(report.totals.cost).toBeGreaterThan(0);
    // Default attribution credits all revenue.
    expect(report.totals.value).toBe(report.totals.revenue);
    const kpi = async (id: string) =>
      (await page.getByTestId(id).locator('.kpi-value').textContent())?.trim();
    await expect
      .poll(() => kpi('kpi-value'))
      .toBe(formatMoney(report.totals.value, report.currency));
    expect(await kpi('kpi-cost')).toBe(formatMoney(report.totals.cost, report.currency));
    expect(await kpi('kpi-profit')).toBe(formatMoney(report.totals.profit, report.currency));
    expect(await kpi('kpi-roi')).toBe(formatPercent(report.totals.roi));

    const bySite = await apiGet(
      owner,
      `/reports/roi?from=${period.from}&to=${period.to}&groupBy=site`,
    );
    const table = page.getByTestId('site-table');
    for (const s of bySite.series) {
      const row = table.locator('tr', {
        hasText: s.key === bySite.series[0].key ? 'Bloom Florist' : 'Harbor Dental',
      });
      expect(await row.textContent()).toContain(formatMoney(s.revenue, report.currency));
    }
    await page
      .locator('figure[aria-label="Value against cost over time"] .recharts-bar-rectangle')
      .first()
      .waitFor();
    await page
      .locator('figure[aria-label="ROI by site"] .recharts-bar-rectangle')
      .first()
      .waitFor();

    // The site filter narrows the report, and the figures follow the API for that site too.
    await page.getByLabel('Site', { exact: true }).selectOption({ label: 'Harbor Dental' });
    await expect.poll(() => kpi('kpi-value')).toBe(formatMoney(0, report.currency));
    await page.getByLabel('Site', { exact: true }).selectOption({ label: 'All sites' });
    await page.getByLabel('Period').selectOption('last_30_days');
    const p30 = presetRange('last_30_days', todayIn('UTC'));
    const report30 = await apiGet(
      owner,
      `/reports/roi?from=${p30.from}&to=${p30.to}&groupBy=day&compare=previous`,
    );
    await expect
      .poll(() => kpi('kpi-cost'))
      .toBe(formatMoney(report30.totals.cost, report30.currency));
    expect(await kpi('kpi-value')).toBe(formatMoney(report30.totals.value, report30.currency));
    // Nothing was imported before the CSV's 20 days: the 30 days before have no data, so no
    // change is shown at all (never a percentage against an empty period).
    expect(report30.comparison.totals.coverage.daysWithData).toBe(0);
    expect(await page.getByTestId('kpi-cost').locator('.kpi-change').textContent()).toBe(
      'not enough earlier data',
    );
    expect(await page.getByTestId('kpi-value').locator('.kpi-change').textContent()).toBe(
      'not enough earlier data',
    );
    await page.getByLabel('Period').selectOption('last_12_months');
    await expect.poll(() => kpi('kpi-cost')).toBe(formatMoney(report.totals.cost, report.currency));
    await page.screenshot({ path: '/tmp/roi-e2e-dashboard.png', fullPage: true });
    const [reportFile] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    const reportCsv = fs.readFileSync(await reportFile.path(), 'utf8');
    expect(reportCsv.split('\n')[0]).toContain('revenue');
    await expectNoProblems(owner);
  });

  it('invites a client with one site and shows the invitation link', async () => {
    const { page } = owner;
    await nav(page, 'Members');
    await page.getByLabel('Email').fill(clientEmail);
    await page.getByLabel('Role').selectOption('client');
    await page.getByRole('checkbox', { name: /Bloom Florist/ }).check();
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const link = page.getByLabel('Invitation link');
    await link.waitFor();
    inviteLink = await link.inputValue();
    expect(inviteLink).toContain('/invite?token=');
    await page.getByRole('cell', { name: clientEmail, exact: true }).waitFor();
    await page.screenshot({ path: '/tmp/roi-e2e-members.png', fullPage: true });
    await expectNoProblems(owner);
  });

  it('upgrades to Pro through the sandbox checkout, and billing shows Pro', async () => {
    const { page } = owner;
    await nav(page, 'Billing');
    await page.getByTestId('plan-pro').waitFor();
    expect(await page.getByTestId('current-plan').textContent()).toContain('Free');
    expect(await page.getByTestId('plan-free').textContent()).toContain('2 sites');
    await page
      .getByTestId('plan-pro')
      .getByRole('button', { name: /Choose Pro/ })
      .click();
    await page.waitForURL('**/sandbox/stripe/checkout/**');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(`**/w/${workspace}/billing?checkout=success**`);
    await page.getByText('Thank you: payment received').waitFor();
    await expect
      .poll(() => page.getByTestId('current-plan').textContent(), { timeout: 20_000 })
      .toContain('Pro');
    await expect.poll(() => page.getByTestId('current-plan').textContent()).toContain('active');
    const sub = await apiGet(owner, '/billing/subscription');
    expect(sub.plan).toBe('pro');
    await page
      .getByTestId('invoices-table')
      .waitFor({ timeout: 20_000 })
      .catch(async () => {
        await page.reload();
        await page.getByTestId('invoices-table').waitFor();
      });
    await page.screenshot({ path: '/tmp/roi-e2e-billing.png', fullPage: true });

    // The limit that stopped the third site is gone.
    await addSite(page, 'Third Site', 'third.test');
    await page.getByRole('heading', { name: 'Third Site', level: 1 }).waitFor();
    await expectNoProblems(owner);
  });

  it('opens the customer portal; a failed payment shows the past-due banner until it is recovered', async () => {
    const { page } = owner;
    const portalAction = async (label: string) => {
      await nav(page, 'Billing');
      await page.getByRole('button', { name: 'Manage subscription' }).click();
      await page.waitForURL('**/sandbox/stripe/portal/**');
      await page.getByRole('button', { name: label }).click();
      await page.waitForURL('**/sandbox/stripe/portal/**');
      await page.getByRole('link', { name: 'Return to ROI Spectrum' }).click();
      await page.waitForURL(`**/w/${workspace}/billing`);
    };
    await portalAction('Simulate failed payment');
    // The webhook is processed asynchronously: once it has been applied, the app shows it.
    await expect
      .poll(async () => (await apiGet(owner, '/billing/subscription')).status)
      .toBe('past_due');
    await page.reload();
    await page.getByTestId('past-due-banner').waitFor();
    await expect.poll(() => page.getByTestId('current-plan').textContent()).toContain('past due');
    expect(await page.getByTestId('past-due-banner').textContent()).toContain('payment failed');
    // Access continues in the grace period: still Pro.
    expect(await page.getByTestId('current-plan').textContent()).toContain('Pro');
    await page.screenshot({ path: '/tmp/roi-e2e-past-due.png' });

    await portalAction('Simulate payment recovered');
    await expect
      .poll(async () => (await apiGet(owner, '/billing/subscription')).status)
      .toBe('active');
    await page.reload();
    await expect.poll(() => page.getByTestId('current-plan').textContent()).toContain('active');
    expect(await page.getByTestId('past-due-banner').count()).toBe(0);
    await expectNoProblems(owner);
  });

  it('creates an API key shown once, revokes it, edits settings and switches workspaces', async () => {
    const { page } = owner;
    await nav(page, 'API keys');
    await page.getByLabel('Key name').fill('Looker sync');
    await page.getByLabel('Role').selectOption('member');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByTestId('new-api-key').inputValue();
    expect(key).toMatch(/^rsk_/);
    const withKey = () =>
      fetch(`${app.baseUrl}/api/v1/sites`, { headers: { Authorization: `Bearer ${key}` } });
    expect((await withKey()).status).toBe(200);
    // Listed by its prefix only; revoking stops it at once.
    const row = page.getByRole('row', { name: /Looker sync/ });
    expect(await row.textContent()).not.toContain(key);
    await row.getByRole('button', { name: 'Revoke' }).click();
    await confirmIn(page, 'Revoke');
    await row.getByText('revoked').waitFor();
    expect((await withKey()).status).toBe(401);

    await nav(page, 'Settings');
    await page.getByLabel('Name', { exact: true }).fill('Acme SEO Agency');
    await page.getByLabel('Primary colour', { exact: true }).fill('#12');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect
      .poll(() => page.locator('.field-invalid .field-error').textContent())
      .toContain('#1a2b3c');
    await page.getByLabel('Primary colour', { exact: true }).fill('#2244aa');
    await page.getByLabel('Report title').fill('Monthly SEO results');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.screenshot({ path: '/tmp/roi-e2e-settings.png', fullPage: true });
    const settings = await apiGet(owner, '/tenant');
    expect(settings).toMatchObject({
      name: 'Acme SEO Agency',
      branding: { primaryColor: '#2244aa', reportTitle: 'Monthly SEO results' },
    });
    await expect
      .poll(() =>
        page
          .getByRole('combobox', { name: 'Workspace', exact: true })
          .locator('option:checked')
          .textContent(),
      )
      .toContain('Acme SEO Agency');

    // A second workspace from the switcher, then back.
    await page
      .getByRole('combobox', { name: 'Workspace', exact: true })
      .selectOption({ label: '+ Create a workspace…' });
    await page.waitForURL('**/workspaces/new');
    await page.getByLabel('Workspace name').fill('Beta Agency');
    await expect
      .poll(() => page.getByTestId('subdomain-status').textContent())
      .toContain('is available');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL('**/w/beta-agency');
    await page.getByText('No sites yet').waitFor();
    await page
      .getByRole('combobox', { name: 'Workspace', exact: true })
      .selectOption({ label: 'Acme SEO Agency (owner)' });
    await page.waitForURL(`**/w/${workspace}`);
    await page.getByTestId('kpi-value').waitFor();
    await expectNoProblems(owner);
  });

  it('lists those actions in the audit log with a valid chain', async () => {
    const { page } = owner;
    await nav(page, 'Audit log');
    await expect
      .poll(() => page.getByTestId('chain-status').textContent())
      .toContain('Chain valid');
    const table = page.getByTestId('audit-table');
    await table.waitFor();
    const text = (await table.textContent()) ?? '';
    for (const action of [
      'tenant.created',
      'site.created',
      'metrics.imported',
      'service.created',
      'time_entry.created',
      'invitation.created',
    ]) {
      expect(text, `audit log shows ${action}`).toContain(action);
    }
    expect(text).toMatch(/billing\.|subscription\./);
    // Filtering by action narrows the list.
    await page.getByLabel('Action').fill('site.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(async () => await table.locator('tbody tr').count()).toBe(3);
    await page.screenshot({ path: '/tmp/roi-e2e-audit.png', fullPage: true });
    // The export downloads what the filter selects.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const file = await download.path();
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv).toContain('site.created');
    expect(csv).not.toContain('metrics.imported');
    await expectNoProblems(owner);
  });

  it('ends a service and deletes a site', async () => {
    const { page } = owner;
    await nav(page, 'Services');
    const retainer = page.getByRole('row', { name: /SEO retainer/ });
    await retainer.getByRole('button', { name: 'End' }).click();
    await confirmIn(page, 'End');
    await retainer
      .getByText('ended')
      .or(retainer.getByText(/→ .*\d{4}/))
      .first()
      .waitFor();
    const services = await apiGet(owner, '/services');
    expect(services.data.find((x: any) => x.name === 'SEO retainer').endDate).toBe(today);

    await nav(page, 'Sites');
    // Asked first: Cancel (then Escape) keeps the site.
    await page.getByRole('button', { name: 'Delete Third Site' }).click();
    const ask = page.getByRole('dialog', { name: 'Please confirm' });
    await ask.getByText('Delete Third Site? Its metrics and services are deleted too.').waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await ask.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Delete Third Site' }).click();
    await page.keyboard.press('Escape');
    await ask.waitFor({ state: 'hidden' });
    expect(await page.getByTestId('sites-table').textContent()).toContain('Third Site');
    await page.getByRole('button', { name: 'Delete Third Site' }).click();
    await confirmIn(page, 'Delete');
    await expect
      .poll(() => page.getByTestId('sites-table').textContent())
      .not.toContain('Third Site');
    await expectNoProblems(owner);
  });

  it('lets the invited client sign up, accept, and see only the granted site', async () => {
    const client = await openPage(browser, app.baseUrl);
    const { page } = client;
    await page.goto(inviteLink.replace(/^https?:\/\/[^/]+/, ''));
    // The invitation page signs up in place, with the invited address already filled in.
    await page.getByLabel('Your name').fill('Carl Client');
    expect(await page.getByLabel('Work email').inputValue()).toBe(clientEmail);
    await page.getByLabel('Password').fill('client password 123');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/invite?token=**');
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.waitForURL(`**/w/${workspace}`);

    const primary = page.getByRole('navigation', { name: 'Primary' });
    expect(await primary.getByRole('link', { name: 'Billing' }).count()).toBe(0);
    expect(await primary.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    const siteTable = page.getByTestId('site-table');
    await siteTable.waitFor();
    expect(await siteTable.locator('tbody tr').count()).toBe(1);
    expect(await siteTable.textContent()).toContain('Bloom Florist');

    await nav(page, 'Sites');
    const sites = page.getByTestId('sites-table');
    await sites.waitFor();
    expect(await sites.locator('tbody tr').count()).toBe(1);
    expect(await sites.textContent()).toContain('Bloom Florist');
    expect(await sites.textContent()).not.toContain('Harbor Dental');
    expect(await page.getByRole('button', { name: 'Add site' }).count()).toBe(0);
    // No word of the agency's plan (staff see "1 of 2 sites on the Free plan" here).
    expect(await page.getByRole('main').textContent()).not.toMatch(/\bplan\b/i);

    // The granted site's services: what the retainer costs, but not the agency's hourly rate,
    // and nothing of its time log.
    await sites.getByRole('link', { name: 'Bloom Florist' }).click();
    const services = page.getByRole('region', { name: 'Services', exact: true });
    await services.getByText('Technical audit hours').waitFor();
    const listed = (await services.textContent()) ?? '';
    expect(listed).toContain('$750.00 a month');
    expect(listed).toMatch(/Technical audit hours · Technical SEO · billed by the hour/);
    expect(listed).not.toContain('$120.00');
    expect(await page.content()).not.toContain('Crawl and fixes');
    expect(await page.getByRole('link', { name: 'Manage services' }).count()).toBe(0);

    // Another site's page, opened by URL, is not there for the client.
    const all = await apiGet(owner, '/sites');
    const harbor = all.data.find((s: any) => s.name === 'Harbor Dental');
    await page.goto(`/w/${workspace}/sites/${harbor.id}`);
    await page.getByText('Site not found').waitFor();
    await expectNoProblems(client);
    await client.context.close();
  });

  it('works at phone width', async () => {
    const phone = await openPage(browser, app.baseUrl, { width: 390, height: 844 });
    const { page } = phone;
    await page.goto('/login');
    await page.getByLabel('Email').fill(ownerEmail);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/w/*');
    await page.goto(`/w/${workspace}`);
    await page.getByTestId('kpi-value').waitFor();
    // The first Tab reaches the skip link, which moves focus past the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    // The navigation folds behind a menu button that the keyboard reaches.
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await page.getByRole('link', { name: 'Sites', exact: true }).isVisible()).toBe(false);
    await menu.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: 'Sites', exact: true }).click();
    await page.getByTestId('sites-table').waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    await page.getByTestId('kpi-value').waitFor();
    await page.screenshot({ path: '/tmp/roi-e2e-phone.png', fullPage: true });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/login');
    // Signed out for real: the workspace sends back to sign-in, and comes back after it.
    await page.goto(`/w/${workspace}/sites`);
    await page.waitForURL(/\/login\?next=/);
    await expectNoProblems(phone);
    await phone.context.close();
  });
});
