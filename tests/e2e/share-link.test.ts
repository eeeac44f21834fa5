import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/web/lib/dates.ts';
import { samplePng } from '../support/reporting-share-samples.ts';
import { startApp, type RunningApp } from './support/app.ts';
import {
  launchBrowser,
  openPage,
  unlabelledControls,
  type WatchedPage,
} from './support/browser.ts';

/**
 * Issue 15's "Done when", in the browser on the embedded default: an agency owner brands the
 * workspace (display name, colour, logo upload), shares a password-protected link to one site's
 * last 90 days, downloads its PDF, schedules a monthly report e-mail and sends it now, and the
 * recipient's message (kept in the outbox without SMTP_URL, read in the app) carries the branded
 * figures and the link to the report. A reader with no account, in a fresh browser context, then
 * unlocks the link, sees the branded report and downloads its PDF; revoked, it is gone.
 */
describe('a shared report, end to end', () => {
  let app: RunningApp;
  let browser: Browser;
  let owner: WatchedPage;
  const workspace = 'lumen-digital';
  const today = new Date().toISOString().slice(0, 10);
  let shareUrl = '';
  let siteId = '';
  const recipient = 'gardener@garden-shop.example';

  /** The text of a PDF as pdftotext (poppler-utils) reads it. */
  function pdfText(pdf: Buffer): string {
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const run = spawnSync('pdftotext', ['-', '-'], { input: pdf });
    if (run.error) throw new Error(`pdftotext is needed (poppler-utils): ${run.error.message}`);
    return run.stdout.toString();
  }

  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
    owner = await openPage(browser, app.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** The owner's API calls, with the session and CSRF cookies the browser context holds. */
  async function api(method: string, path: string, data?: unknown) {
    const csrf = (await owner.context.cookies()).find((c) => c.name === 'csrf_token')?.value;
    const res = await owner.context.request.fetch(`/api/v1${path}`, {
      method,
      headers: { 'X-Tenant-ID': workspace, ...(csrf ? { 'X-CSRF-Token': csrf } : {}) },
      data,
    });
    expect(res.status(), await res.text()).toBeLessThan(300);
    return res.json().catch(() => null) as Promise<any>;
  }

  it('sets up a workspace with a site, its metrics and a service', async () => {
    await api('POST', '/auth/signup', {
      email: 'olga@lumen.test',
      password: 'correct horse battery',
      name: 'Olga Owner',
    });
    await api('POST', '/tenants', { name: 'Lumen internal', subdomain: workspace });
    const site = await api('POST', '/sites', {
      name: 'Garden Shop',
      domain: 'garden-shop.example',
    });
    siteId = site.id;
    await api('POST', '/sites', { name: 'Other Client', domain: 'other.example' });
    await api('POST', `/sites/${site.id}/metrics`, {
      rows: [
        { date: addDays(today, -20), revenue: 512_345, sessions: 300 },
        { date: addDays(today, -10), revenue: 100_000, sessions: 120 },
      ],
    });
    await api('POST', '/services', {
      siteId: site.id,
      name: 'Technical audit',
      category: 'technical',
      billing: 'one_time',
      amount: 120_000,
      startDate: addDays(today, -15),
    });
  });

  it('brands the workspace in Settings: display name, colour, logo', async () => {
    const { page } = owner;
    await page.goto(`/w/${workspace}/settings`);
    await page.getByLabel('Display name').fill('Lumen Digital');
    await page.getByLabel('Primary colour', { exact: true }).fill('#7a1fb0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    const logo = `${app.dataDir}/logo.png`;
    fs.writeFileSync(logo, samplePng());
    await page.getByLabel('Logo file').setInputFiles(logo);
    await page.getByAltText('Current workspace logo').waitFor();
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('shares a password-protected link to one site over the last 90 days', async () => {
    const { page } = owner;
    await page.goto(`/w/${workspace}/shared-reports`);
    const form = page.getByRole('form', { name: 'Share a report' });
    await form.getByLabel('Name').fill('Garden Shop: last 90 days');
    await form.getByLabel('Period').selectOption('last_90_days');
    await form.getByLabel('Password (optional)').fill('plum tree 42');
    await form.getByLabel('Garden Shop').check();
    await form.getByRole('button', { name: 'Create link' }).click();
    shareUrl = await page.getByLabel('Link URL').inputValue();
    expect(shareUrl).toMatch(new RegExp(`^${app.baseUrl}/r/[A-Za-z0-9_-]{43}$`));
    await page.getByTestId('report-links').getByText('Garden Shop: last 90 days').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('the owner opens the link, unlocks it and downloads its branded PDF', async () => {
    const { page } = owner;
    await page.goto(shareUrl);
    await page.getByRole('heading', { name: 'This report is protected' }).waitFor();
    await page.getByLabel('Password').fill('plum tree 42');
    await page.getByRole('button', { name: 'Open report' }).click();
    await page.getByTestId('brand-name').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download PDF' }).click(),
    ]);
    const text = pdfText(fs.readFileSync((await download.path())!));
    expect(text).toContain('Lumen Digital');
    expect(text).toContain('Last 90 days');
    expect(text).toContain('Garden Shop');
    expect(text).toContain('$6,123.45'); // value
    expect(text).toContain('$1,200.00'); // cost
    expect(text).toContain('$4,923.45'); // profit
    expect(text).not.toContain('Other Client');
    expect(text).not.toContain('Lumen internal');
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('schedules a monthly report e-mail, sends it now, and the message waits in the outbox', async () => {
    const { page } = owner;
    await page.goto(`/w/${workspace}/report-emails`);
    await page.getByRole('button', { name: 'Schedule a report' }).click();
    const dialog = page.getByRole('dialog', { name: 'Schedule a report e-mail' });
    await dialog.getByLabel('Name').fill('Garden Shop monthly');
    await dialog.getByLabel('Sites').selectOption({ label: 'Garden Shop' });
    await dialog.getByLabel('Recipients').fill(recipient);
    await dialog.getByLabel('Frequency').selectOption('monthly');
    await dialog.getByLabel('Day of the month').fill('1');
    await dialog.getByLabel('Hour (workspace time zone)').fill('8');
    await dialog.getByLabel('Period').selectOption('last_90_days');
    await dialog.getByRole('button', { name: 'Schedule' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('On day 1 of each month at 08:00 · Last 90 days').waitFor();
    expect(await unlabelledControls(page)).toEqual([]);

    await page.getByRole('button', { name: 'Deliveries' }).click();
    await page.getByText('Not sent yet').waitFor();
    await page.getByRole('button', { name: 'Send now' }).click();
    const deliveries = page.getByTestId('deliveries');
    await deliveries.waitFor();
    const occurrence = today.slice(0, 7); // a monthly schedule's period key: 2026-12
    await expect.poll(() => deliveries.textContent()).toContain(occurrence);
    expect(await deliveries.textContent()).toContain('sent now');

    // Without SMTP_URL the worker leaves the message queued in the outbox, which the app shows.
    await page.goto(`/w/${workspace}/outbox`);
    const outbox = page.getByTestId('outbox');
    // The row by its text: its accessible name is not always computed from its cells.
    const row = outbox.locator('tr', { hasText: recipient });
    // A reload a second at most: each costs several API requests, and polling faster spent the
    // owner's share of the workspace's rate limit (429s) before the worker had queued the message.
    await expect
      .poll(
        async () => {
          await page.reload();
          // Count once the page has loaded its list, not right after the reload.
          await outbox.waitFor();
          await page.waitForLoadState('networkidle');
          return row.count();
        },
        { interval: 1_000, timeout: 30_000 },
      )
      .toBe(1);
    expect(await row.textContent()).toContain('report');
    await row.getByRole('button', { name: /Garden Shop monthly/ }).click();
    const message = page.getByTestId('outbox-message');
    await message.waitFor();
    const shown = (await message.textContent()) ?? '';
    expect(shown).toContain('From Lumen Digital');
    expect(shown).toContain(recipient);
    expect(shown).toContain('Lumen Digital — Garden Shop monthly');
    expect(shown).toContain('Value: $6,123.45');
    expect(shown).toContain('Cost: $1,200.00');
    expect(shown).toContain('Profit: $4,923.45');
    const link = /Open the report: (\S+)/.exec(shown)?.[1];
    expect(link).toBeDefined();
    const url = new URL(link!);
    expect(url.origin).toBe(app.baseUrl);
    expect(url.pathname).toBe(`/w/${workspace}`);
    expect(url.searchParams.get('site')).toBe(siteId);
    expect(url.searchParams.get('to')).toBe(addDays(today, -1));
    expect(url.searchParams.get('from')).toBe(addDays(today, -90));

    // The HTML part carries the branding too: the colour and the logo.
    const listed = await api('GET', '/outbox');
    const mail = listed.data.find((m: { to: string[] }) => m.to.includes(recipient));
    expect(mail).toMatchObject({ kind: 'report', status: 'queued' });
    const full = await api('GET', `/outbox/${mail.id}`);
    expect(full.html).toContain('#7a1fb0');
    expect(full.html).toContain('/api/v1/tenant/logo');
    expect(full.html).toContain('$6,123.45');

    // The link opens that report in the app for a signed-in reader.
    await page.keyboard.press('Escape');
    const opened = await page.goto(link!);
    expect(opened?.status()).toBe(200);
    await page.getByText('$6,123.45').first().waitFor();
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('a reader with no account unlocks the link, sees the branded report and downloads the PDF', async () => {
    const reader = await openPage(browser, app.baseUrl);
    const { page } = reader;
    expect(await reader.context.cookies()).toEqual([]);
    const opened = await page.goto(shareUrl);
    expect(opened?.status()).toBe(200);
    await page.getByRole('heading', { name: 'This report is protected' }).waitFor();
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Open report' }).click();
    await page.getByText('Wrong password').waitFor();
    await page.getByLabel('Password').fill('plum tree 42');
    await page.getByRole('button', { name: 'Open report' }).click();

    await page.getByTestId('brand-name').waitFor();
    expect(await page.getByTestId('brand-name').textContent()).toBe('Lumen Digital');
    const logoLoaded = await page
      .getByAltText('Lumen Digital logo')
      .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
    expect(logoLoaded).toBe(true);
    const kpis = await page.getByTestId('public-kpis').textContent();
    expect(kpis).toContain('$6,123.45');
    expect(kpis).toContain('$1,200.00');
    // Two days with data, none in the 90 days before: no percentage from an empty window.
    expect(kpis).toContain('not enough earlier data');
    expect(kpis).not.toContain('vs previous period');
    await page.getByRole('heading', { name: 'Value versus cost' }).waitFor();
    await page.getByRole('heading', { name: 'Payback' }).waitFor();
    await page.getByRole('heading', { name: 'How ROI is calculated' }).waitFor();
    expect(await page.getByRole('table').textContent()).toContain('Garden Shop');
    expect(await page.content()).not.toContain('Other Client');
    expect(await page.content()).not.toContain('Lumen internal');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download PDF' }).click(),
    ]);
    const text = pdfText(fs.readFileSync((await download.path())!));
    expect(text).toContain('Lumen Digital');
    expect(text).toContain('Garden Shop');
    expect(text).toContain('$6,123.45');
    expect(reader.problems, reader.problems.join('\n')).toEqual([]);

    // Revoked, the same page says the link is not available.
    const links = await api('GET', '/report-links');
    await api('DELETE', `/report-links/${links.data[0].id}`);
    const gone = await page.goto(shareUrl);
    expect(gone?.status()).toBe(404);
    await page.getByRole('heading', { name: 'Report not available' }).waitFor();
    const unknown = await page.goto(`${app.baseUrl}/r/${'A'.repeat(43)}`);
    expect(unknown?.status()).toBe(404);
    await page.getByRole('heading', { name: 'Report not available' }).waitFor();
    await reader.context.close();
  });
});
