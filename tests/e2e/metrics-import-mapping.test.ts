import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './support/app.ts';
import {
  launchBrowser,
  openPage,
  unlabelledControls,
  type WatchedPage,
} from './support/browser.ts';

/**
 * The import's column mapping and preview in a real browser: a GA4 export is read in the page,
 * its columns are matched (one by hand), the first rows are shown as they will be stored, and only
 * Import writes them; a file in another currency is flagged in the preview and refused by the
 * server with its line and field.
 */
describe('metric import: column mapping and preview', () => {
  let app: RunningApp;
  let browser: Browser;
  let owner: WatchedPage;
  const workspace = 'mapping-agency';
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

  const metrics = async () => {
    const res = await owner.context.request.get(
      `/api/v1/sites/${siteId}/metrics?from=2026-01-01&to=2026-01-31`,
      { headers: { 'X-Tenant-ID': workspace } },
    );
    expect(res.status()).toBe(200);
    return ((await res.json()) as { data: Record<string, unknown>[] }).data;
  };

  it('maps a GA4 export, previews its rows and writes nothing before Import', async () => {
    const { page } = owner;
    await page.goto('/signup');
    await page.getByLabel('Your name').fill('Mia Mapper');
    await page.getByLabel('Work email').fill('mia@mapping.test');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/workspaces/new');
    await page.getByLabel('Workspace name').fill('Mapping Agency');
    await expect
      .poll(() => page.getByTestId('subdomain-status').textContent())
      .toContain('is available');
    await page.getByRole('button', { name: 'Create workspace' }).click();
    await page.waitForURL(`**/w/${workspace}`);
    await page
      .getByRole('navigation', { name: 'Primary' })
      .getByRole('link', { name: 'Sites' })
      .click();
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('dialog').getByLabel('Site name').fill('Bloom');
    await page.getByRole('dialog').getByLabel('Domain').fill('bloom.test');
    await page.getByRole('dialog').getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('heading', { name: 'Bloom', level: 1 }).waitFor();
    siteId = /sites\/([0-9a-f-]{36})/.exec(page.url())![1]!;

    const ga4 = [
      '# ----------------------------------------',
      '# Traffic acquisition: Session primary channel group',
      '# ----------------------------------------',
      '#',
      'Date,Sessions,Conversions,Key events,Total revenue,Engagement rate',
      '20260105,"1,204",1,12.00,"$1,234.56",0.61',
      '20260106,980,0,3,$99.00,0.58',
      '20260107,1010,2,4.5,$0.10,0.6',
      '',
    ].join('\r\n');
    await page
      .getByLabel(/Choose a CSV file/)
      .setInputFiles({ name: 'ga4.csv', mimeType: 'text/csv', buffer: Buffer.from(ga4) });
    const mapping = page.getByTestId('column-mapping');
    await mapping.waitFor();
    expect(await page.getByText('Header on line 5').count()).toBe(1);
    // Recognised columns are mapped; Engagement rate is not recognised and starts ignored; Key
    // events, a second conversions column, too.
    const select = (name: string) => page.getByLabel(`Import column "${name}" as`);
    expect(await select('Date').inputValue()).toBe('date');
    expect(await select('Total revenue').inputValue()).toBe('revenue');
    expect(await select('Engagement rate').inputValue()).toBe('ignore');
    expect(await mapping.textContent()).toContain('not recognised');
    expect(await select('Key events').inputValue()).toBe('ignore');

    const preview = page.getByTestId('import-preview');
    const firstRow = () => preview.locator('tbody tr').first().textContent();
    await expect.poll(firstRow).toContain('2026-01-05');
    expect(await firstRow()).toContain('$1,234.56');
    expect(await firstRow()).toContain('1,204');
    // Mapping Key events to conversions (and the other column away) shows GA4's 12.00 as 12.
    await select('Conversions').selectOption('ignore');
    await select('Key events').selectOption('conversions');
    await expect.poll(() => preview.locator('tbody tr').nth(2).textContent()).toContain('5');
    // Two date columns cannot be sent.
    await select('Sessions').selectOption('date');
    await page.getByText('Only one column can be the date.').waitFor();
    expect(await page.getByRole('button', { name: 'Import', exact: true }).isDisabled()).toBe(true);
    await select('Sessions').selectOption('sessions');
    expect(await preview.locator('tbody tr').count()).toBe(3);
    await page.screenshot({ path: '/tmp/roi-e2e-import-mapping.png', fullPage: true });
    expect(await unlabelledControls(page)).toEqual([]);
    // Nothing has been written yet.
    expect(await metrics()).toEqual([]);

    await page.getByRole('button', { name: 'Import 3 rows' }).click();
    await expect
      .poll(() =>
        page
          .getByTestId('import-result')
          .textContent()
          .catch(() => ''),
      )
      .toContain('3 rows received');
    const stored = await metrics();
    expect(stored.map((d) => [d.date, d.sessions, d.conversions, d.revenue])).toEqual([
      ['2026-01-05', 1204, 12, 123456],
      ['2026-01-06', 980, 3, 9900],
      ['2026-01-07', 1010, 5, 10],
    ]);
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });

  it('flags an amount in another currency in the preview; the server refuses it by line and field', async () => {
    const { page } = owner;
    const euros = 'date,revenue\n2026-01-08,10.00\n2026-01-09,"1.234,56 €"\n';
    await page
      .getByLabel(/Choose a CSV file/)
      .setInputFiles({ name: 'euros.csv', mimeType: 'text/csv', buffer: Buffer.from(euros) });
    const problems = page.getByTestId('preview-problems');
    await problems.waitFor();
    expect(await problems.textContent()).toContain('Line 3, revenue');
    expect(await problems.textContent()).toContain('not in USD');
    await page.getByRole('button', { name: 'Import 2 rows' }).click();
    const errors = page.getByTestId('import-errors');
    await errors.waitFor();
    const row = errors.locator('tbody tr').first();
    expect(await row.textContent()).toContain('3');
    expect(await row.textContent()).toContain('revenue');
    expect((await metrics()).map((d) => d.date)).not.toContain('2026-01-08');
    expect(owner.problems, owner.problems.join('\n')).toEqual([]);
  });
});
