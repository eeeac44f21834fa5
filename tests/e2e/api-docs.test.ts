import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './support/app.ts';
import { launchBrowser, openPage, type WatchedPage } from './support/browser.ts';

/**
 * The interactive API reference at /api/docs (Swagger UI), as an integrator uses it: authorise
 * with an API key, try a request, read the answer. Everything comes from the app's own origin and
 * runs under its Content-Security-Policy: a violation is a console error and fails the test.
 */
describe('the API reference, end to end', () => {
  let app: RunningApp;
  let browser: Browser;
  let w: WatchedPage;
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
    w = await openPage(browser, app.baseUrl);
    w.page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(app.baseUrl) && !url.startsWith('data:')) foreignRequests.push(url);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** A user, a workspace and an API key, made through the API as a script would. */
  async function workspaceWithKey(): Promise<{ name: string; key: string }> {
    const api = w.context.request;
    const email = `docs-${Date.now()}@agency.test`;
    const signup = await api.post('/api/v1/auth/signup', {
      data: { email, password: 'correct horse battery', name: 'Docs Reader' },
    });
    expect(signup.status(), await signup.text()).toBe(201);
    const csrf = (await w.context.cookies()).find((c) => c.name === 'csrf_token')!.value;
    const name = 'Reference Agency';
    const tenant = await api.post('/api/v1/tenants', {
      data: { name, subdomain: `ref-${Date.now()}` },
      headers: { 'X-CSRF-Token': csrf },
    });
    expect(tenant.status(), await tenant.text()).toBe(201);
    const key = await api.post('/api/v1/api-keys', {
      data: { name: 'docs', role: 'admin' },
      headers: { 'X-CSRF-Token': csrf, 'X-Tenant-ID': (await tenant.json()).id },
    });
    expect(key.status(), await key.text()).toBe(201);
    // Sign out: the request below must be authorised by the key alone.
    await api.post('/api/v1/auth/logout', { headers: { 'X-CSRF-Token': csrf } });
    await w.context.clearCookies();
    return { name, key: (await key.json()).key };
  }

  it('authorises with an API key and runs GET /api/v1/tenant from the page', async () => {
    const { name, key } = await workspaceWithKey();
    const { page } = w;
    await page.goto('/api/docs');
    await expect.poll(() => page.locator('.opblock').count()).toBeGreaterThan(10);

    await page.locator('.scheme-container button.authorize').click();
    const modal = page.locator('.dialog-ux .modal-ux');
    const bearer = modal.locator('.auth-container').filter({ hasText: 'Bearer' });
    await bearer.locator('input').fill(key);
    await bearer.locator('button.authorize').click();
    await expect.poll(() => bearer.textContent()).toContain('Authorized');
    await modal.locator('button.btn-done').first().click();

    const operation = page
      .locator('.opblock.opblock-get')
      .filter({ has: page.locator('[data-path="/api/v1/tenant"]') });
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.execute').click();

    const answer = operation.locator('.live-responses-table tbody tr').first();
    await expect
      .poll(() => answer.locator('.response-col_status').textContent(), { timeout: 30_000 })
      .toBe('200');
    const body = await answer.locator('.response-col_description pre').first().textContent();
    expect(JSON.parse(body ?? '{}')).toMatchObject({ name, plan: 'free', currency: 'USD' });
    // The curl shown to the user is the request that was sent: the key as a bearer token.
    expect(await operation.locator('.curl-command').textContent()).toContain(
      `Authorization: Bearer ${key}`,
    );

    expect(foreignRequests).toEqual([]);
    expect(w.problems, w.problems.join('\n')).toEqual([]);
    // The key lives only as long as the page: nothing kept in storage.
    expect(await page.evaluate(() => JSON.stringify(window.localStorage))).not.toContain(key);
  });
});
