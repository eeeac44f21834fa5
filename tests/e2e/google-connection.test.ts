import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './support/app.ts';
import {
  confirmIn,
  launchBrowser,
  openPage,
  unlabelledControls,
  type WatchedPage,
} from './support/browser.ts';

/**
 * Done-when of issue 14, in a real browser against the app as `npm start` runs it (no Google
 * credentials: the offline Google sandbox stands in): an owner connects the sandbox's demo Google
 * account through its consent page, links a site to a Search Console and a GA4 property, watches
 * the backfill's progress, and the Search panel fills with clicks, impressions, CTR, position and
 * the top queries and pages. Then disconnects.
 */
describe('Google connection, end to end', () => {
  let app: RunningApp;
  let browser: Browser;
  let owner: WatchedPage;
  const workspace = 'search-agency';
  let siteId = '';

  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
    owner = await openPage(browser, app.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const nav = (page: Page, label: string) =>
    page
      .getByRole('navigation', { name: 'Primary' })
      .getByRole('link', { name: label, exact: true })
      .click();
  const apiGet = async (path: string) => {
    const res = await owner.context.request.get(`/api/v1${path}`, {
      headers: { 'X-Tenant-ID': workspace },
    });
    expect(res.status(), await res.text()).toBe(200);
    return res.json() as Promise<any>;
  };

  it('connects the sandbox Google account through its consent page', async () => {
    const { page } = owner;
    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Sam Search');
    await page.getByLabel('Work email').fill('sam@search-agency.test');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/workspaces/new');
    await page.getByLabel('Workspace name').fill('Search Agency');
    await expect
      .poll(() => page.getByTestId('subdomain-status').textContent())
      .toContain('is available');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(`**/w/${workspace}`);

    await nav(page, 'Integrations');
    await page.getByText('No Google account connected').waitFor();
    await page.getByRole('button', { name: 'Connect Google' }).click();
    // Google's consent page (the sandbox's), then back through the callback to /integrations.
    await page.waitForURL('**/o/oauth2/v2/auth?**');
    await page.getByText('Allow ROI Spectrum to read your Google data').waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`**/w/${workspace}/integrations?connected=*`);
    await expect
      .poll(() => page.getByTestId('connected-notice').textContent())
      .toContain('demo.agency@example.com is connected');
    const row = page.getByTestId('integrations-table').locator('tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain('active');
    expect((await apiGet('/integrations')).data[0]).toMatchObject({
      account: 'demo.agency@example.com',
      status: 'active',
    });
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('links a site, shows the backfill progress, and the Search panel fills in', async () => {
    const { page } = owner;
    await nav(page, 'Sites');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('dialog').getByLabel('Site name').fill('Example');
    await page.getByRole('dialog').getByLabel('Domain').fill('www.example.com');
    await page.getByRole('dialog').getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('heading', { name: 'Example', level: 1 }).waitFor();
    siteId = /sites\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    await page.getByText('No Search Console data in this period').waitFor();

    const sources = page.getByRole('region', { name: 'Sources' });
    await sources.getByLabel('Search Console property').selectOption('https://www.example.com/');
    await sources.getByLabel('GA4 property').selectOption('310000001');
    expect(await sources.getByLabel(/organic search sessions only/).isChecked()).toBe(true);
    await sources.getByRole('button', { name: 'Save sources' }).click();
    await sources.getByTestId('site-sources').waitFor();
    expect(await sources.getByTestId('site-sources').textContent()).toContain(
      'https://www.example.com/',
    );
    // The first link starts the 16-month backfill; its progress shows while it runs (the poll
    // may miss a very fast one, so either the progress or the finished state must appear).
    await expect
      .poll(
        async () =>
          (await sources.getByTestId('sync-progress-text').count()) > 0 ||
          (await sources.getByTestId('last-synced').textContent()) !== '—',
      )
      .toBe(true);
    await page.screenshot({ path: '/tmp/roi-e2e-google-sync.png', fullPage: true });
    await expect
      .poll(() => sources.getByTestId('last-synced').textContent(), { timeout: 150_000 })
      .not.toBe('—');
    const state = await apiGet(`/sites/${siteId}/sync`);
    expect(state).toMatchObject({ status: 'idle', lastError: null });
    expect(state.progress.done).toBe(state.progress.total);

    // The Search panel reads what arrived: the same totals as the API's report.
    const search = page.getByTestId('search-panel');
    await expect
      .poll(() => search.getByTestId('search-clicks').textContent(), { timeout: 20_000 })
      .not.toBe('0');
    const terms = search.getByTestId('search-terms');
    await expect.poll(() => terms.locator('tbody tr').count()).toBeGreaterThan(0);
    // The site page's default period: the 90 days ending yesterday (the workspace is on UTC).
    const to = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const from = new Date(Date.now() - 90 * 86_400_000).toISOString().slice(0, 10);
    const report = await apiGet(`/reports/roi?from=${from}&to=${to}&groupBy=week&siteId=${siteId}`);
    expect(report.totals.clicks).toBeGreaterThan(0);
    expect(await search.getByTestId('search-clicks').textContent()).toBe(
      report.totals.clicks.toLocaleString('en-US'),
    );
    const top = await apiGet(
      `/sites/${siteId}/search-terms?dimension=query&from=${from}&to=${to}&limit=25`,
    );
    expect(await terms.locator('tbody tr').first().textContent()).toContain(top.data[0].key);
    await search.getByLabel('Top').selectOption('page');
    await expect
      .poll(() => terms.locator('tbody tr').first().textContent())
      .toContain('https://www.example.com/');
    await search
      .locator('figure[aria-label="Clicks and impressions over time"] .recharts-surface')
      .first()
      .waitFor();
    await page.screenshot({ path: '/tmp/roi-e2e-google-search.png', fullPage: true });
    expect(await unlabelledControls(page)).toEqual([]);
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('shows a client the Search panel of a granted site, and no Sources or Integrations', async () => {
    const csrf = (await owner.context.cookies()).find((c) => c.name === 'csrf_token')!.value;
    // A second site, not granted to the client.
    const other = await owner.context.request.post('/api/v1/sites', {
      headers: { 'X-Tenant-ID': workspace, 'X-CSRF-Token': csrf },
      data: { name: 'Hidden', domain: 'hidden.test' },
    });
    expect(other.status()).toBe(201);
    const invite = await owner.context.request.post('/api/v1/invitations', {
      headers: { 'X-Tenant-ID': workspace, 'X-CSRF-Token': csrf },
      data: { email: 'cleo@client.test', role: 'client', siteIds: [siteId] },
    });
    expect(invite.status(), await invite.text()).toBe(201);
    const { token } = (await invite.json()) as { token: string };
    const client = await openPage(browser, app.baseUrl);
    const { page } = client;
    await page.goto(`/invite?token=${encodeURIComponent(token)}`);
    // Signed out, the invite page carries the sign-up form itself.
    await page.getByLabel('Your name').fill('Cleo Client');
    await page.getByLabel('Work email').fill('cleo@client.test');
    await page.getByLabel('Password').fill('client password 123');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/invite?token=**');
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.waitForURL(`**/w/${workspace}`);
    const primary = page.getByRole('navigation', { name: 'Primary' });
    await primary.getByRole('link', { name: 'Sites', exact: true }).waitFor();
    expect(await primary.getByRole('link', { name: 'Integrations' }).count()).toBe(0);

    await page.goto(`/w/${workspace}/sites/${siteId}`);
    const search = page.getByTestId('search-panel');
    await expect.poll(() => search.getByTestId('search-clicks').textContent()).not.toBe('0');
    await expect
      .poll(() => search.getByTestId('search-terms').locator('tbody tr').count())
      .toBeGreaterThan(0);
    expect(await page.getByRole('region', { name: 'Sources' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Import metrics' }).count()).toBe(0);
    // The ungranted site and the Integrations page are not there for the client.
    await page.goto(`/w/${workspace}/sites/${((await other.json()) as { id: string }).id}`);
    await page.getByText('Site not found').waitFor();
    await page.goto(`/w/${workspace}/integrations`);
    await page.getByText('Not available to clients').waitFor();
    expect(client.problems, client.problems.join('\n')).toEqual([]);
    await client.context.close();
  });

  it('syncs again on demand and disconnects after asking', async () => {
    const { page } = owner;
    const sources = page.getByRole('region', { name: 'Sources' });
    const before = await apiGet(`/sites/${siteId}/sync`);
    await sources.getByRole('button', { name: 'Sync now' }).click();
    await expect
      .poll(async () => (await apiGet(`/sites/${siteId}/sync`)).lastSyncedAt, {
        timeout: 150_000,
      })
      .not.toBe(before.lastSyncedAt);

    await nav(page, 'Integrations');
    const row = page.getByTestId('integrations-table').locator('tbody tr').first();
    await row.getByRole('button', { name: 'Disconnect demo.agency@example.com' }).click();
    await confirmIn(page, 'Disconnect');
    await page.getByText('No Google account connected').waitFor();
    expect((await apiGet('/integrations')).data).toEqual([]);
    // The site is unlinked; what it synced stays.
    const res = await owner.context.request.get(`/api/v1/sites/${siteId}/sources`, {
      headers: { 'X-Tenant-ID': workspace },
    });
    expect(res.status()).toBe(404);
    expect((await apiGet(`/sites/${siteId}/metrics?limit=1`)).data.length).toBe(1);
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });
});
