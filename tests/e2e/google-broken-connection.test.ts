import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNT } from '../../src/server/sandbox/google/fake-google.ts';
import { startGoogleServer, type GoogleTestServer } from '../support/google-server.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { launchBrowser, openPage, type WatchedPage } from './support/browser.ts';

/**
 * A connection Google stops honouring (invalid_grant), in the browser: the app points at a
 * Google-compatible server this test runs (GOOGLE_API_BASE), the sync fails with its error on the
 * site, the connection shows broken with its last error on the Integrations page, Sync now is
 * disabled, and Reconnect makes it active again.
 */
describe('a broken Google connection, in the browser', () => {
  let google: GoogleTestServer;
  let app: RunningApp;
  let browser: Browser;
  let owner: WatchedPage;
  const workspace = 'broken-agency';
  let siteId = '';

  beforeAll(async () => {
    google = await startGoogleServer();
    app = await startApp(google.env);
    browser = await launchBrowser();
    owner = await openPage(browser, app.baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await google?.close();
  });

  const nav = (page: Page, label: string) =>
    page
      .getByRole('navigation', { name: 'Primary' })
      .getByRole('link', { name: label, exact: true })
      .click();
  const syncState = async () => {
    const res = await owner.context.request.get(`/api/v1/sites/${siteId}/sync`, {
      headers: { 'X-Tenant-ID': workspace },
    });
    return (await res.json()) as { status: string; lastSyncedAt: string | null };
  };

  it('connects, links a site and syncs it', async () => {
    const { page } = owner;
    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Bea Broken');
    await page.getByLabel('Work email').fill('bea@broken.test');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/workspaces/new');
    await page.getByLabel('Workspace name').fill('Broken Agency');
    await expect
      .poll(() => page.getByTestId('subdomain-status').textContent())
      .toContain('is available');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(`**/w/${workspace}`);
    await nav(page, 'Integrations');
    await page.getByRole('button', { name: 'Connect Google' }).click();
    // This Google consents at once and sends the browser back through the callback.
    await page.waitForURL(`**/w/${workspace}/integrations?connected=*`);
    await page.getByTestId('connected-notice').waitFor();

    await nav(page, 'Sites');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('dialog').getByLabel('Site name').fill('Example');
    await page.getByRole('dialog').getByLabel('Domain').fill('www.example.com');
    await page.getByRole('dialog').getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('heading', { name: 'Example', level: 1 }).waitFor();
    siteId = /sites\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const sources = page.getByRole('region', { name: 'Sources' });
    await sources.getByLabel('Search Console property').selectOption('https://www.example.com/');
    await sources.getByRole('button', { name: 'Save sources' }).click();
    await expect
      .poll(() => sources.getByTestId('last-synced').textContent(), { timeout: 150_000 })
      .not.toBe('—');
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('shows the failed sync and the broken connection with its error, then reconnects', async () => {
    const { page } = owner;
    const before = await syncState();
    google.fake.failRefresh.add(DEMO_ACCOUNT.sub);
    google.fake.expireAccessTokens();
    const sources = page.getByRole('region', { name: 'Sources' });
    await sources.getByRole('button', { name: 'Sync now' }).click();
    await expect
      .poll(
        () =>
          sources
            .getByTestId('sync-error')
            .textContent()
            .catch(() => ''),
        {
          timeout: 60_000,
        },
      )
      .toMatch(/reconnect/i);
    expect((await syncState()).status).toBe('failed');
    // The panel reads the connection again once the sync ends: broken, and Sync now is off.
    await page.reload();
    await sources.getByText('The Google connection is broken').waitFor();
    expect(await sources.getByRole('button', { name: 'Sync now' }).isDisabled()).toBe(true);

    await nav(page, 'Integrations');
    const row = page.getByTestId('integrations-table').locator('tbody tr').first();
    await row.getByText('broken').waitFor();
    expect(await row.getByTestId('integration-error').textContent()).toMatch(
      /reconnect.*syncs are stopped until it is reconnected/i,
    );
    await page.screenshot({ path: '/tmp/roi-e2e-google-broken.png', fullPage: true });

    google.fake.failRefresh.delete(DEMO_ACCOUNT.sub);
    await row.getByRole('button', { name: 'Reconnect demo.agency@example.com' }).click();
    await page.waitForURL(`**/w/${workspace}/integrations?connected=*`);
    await expect
      .poll(() => page.getByTestId('integrations-table').locator('tbody tr').first().textContent())
      .toContain('active');
    expect(await page.getByTestId('integration-error').count()).toBe(0);
    expect(before.lastSyncedAt).not.toBeNull();
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });
});
