import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/data/database.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { expectNoAxeViolations } from './support/axe.ts';
import { callApi, launchBrowser, openPage, type WatchedPage } from './support/browser.ts';

/**
 * "Forgot password" end to end, as a person does it: asks on the sign-in page, opens the link of
 * the e-mail the app sends (through a real SMTP server on 127.0.0.1), sets a new password and
 * signs in with it. The link works once; an expired one is refused. The app runs as `npm start`
 * runs it, on its embedded database in a directory of this file's own, so the test can age a
 * link in that database between two runs of the app.
 */
describe('forgot password, in the browser', () => {
  let smtp: TestSmtpServer;
  let app: RunningApp;
  let browser: Browser;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-e2e-reset-'));
  const email = 'rita@reset.test';
  const oldPassword = 'the old passphrase';
  const newPassword = 'a fresh passphrase';
  const workspace = 'reset-agency';

  const start = async () => {
    app = await startApp({ DATA_DIR: dataDir, SMTP_URL: smtp.url, MAIL_POLL_MS: '100' });
  };
  beforeAll(async () => {
    smtp = await startSmtpServer();
    await start();
    browser = await launchBrowser();
    const owner = await openPage(browser, app.baseUrl);
    await callApi(owner, 'POST', '/auth/signup', {
      body: { email, password: oldPassword, name: 'Rita Reset' },
    });
    await callApi(owner, 'POST', '/tenants', {
      body: { name: 'Reset Agency', subdomain: workspace },
    });
    await owner.context.close();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await smtp?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The reset links e-mailed to `email` so far, as paths (the app's host is the test's). */
  const resetLinks = () =>
    smtp.received
      .filter((m) => m.envelopeTo.includes(email))
      .map((m) => /https?:\/\/[^/\s]+(\/reset-password\?token=\S+)/.exec(m.parsed.text ?? '')?.[1])
      .filter((link): link is string => !!link);

  /** Asks for a link on the forgot-password page, reached from the sign-in page; returns its path. */
  const askForLink = async (page: Page) => {
    const before = resetLinks().length;
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'E-mail me a reset link' }).click();
    await page.getByText('Check your inbox').waitFor();
    expect(await page.locator('.alert-success').textContent()).toContain(
      `If ${email} has an account`,
    );
    await expect.poll(() => resetLinks().length).toBe(before + 1);
    return resetLinks().at(-1)!;
  };

  /** Scans the page in both themes. */
  const scanBothThemes = async (page: Page, where: string) => {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await expectNoAxeViolations(page, `${where} (${colorScheme})`);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  };

  const signIn = async (page: Page, password: string) => {
    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  const expectNoProblems = (w: WatchedPage) =>
    expect(w.problems, w.problems.join('\n')).toEqual([]);

  it('resets the password through the e-mailed link, once, and signs in with the new one', async () => {
    const w = await openPage(browser, app.baseUrl);
    const { page } = w;
    const link = await askForLink(page);
    await scanBothThemes(page, 'forgot password, sent');
    const mail = smtp.received.filter((m) => m.envelopeTo.includes(email)).at(-1)!;
    expect(mail.parsed.subject).toBe('Reset your ROI Spectrum password');

    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    // Too short: said beside the field, before anything is sent (the link stays unused).
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await expect
      .poll(() => page.locator('.field-error').textContent())
      .toMatch(/^Must be at least 10 characters/);
    await scanBothThemes(page, 'reset password, too short');
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('Password changed').waitFor();
    await scanBothThemes(page, 'reset password, done');

    // The old password no longer works; the new one does.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL('**/login');
    await signIn(page, oldPassword);
    await page.locator('.alert-error').waitFor();
    expect(page.url()).toContain('/login');
    await signIn(page, newPassword);
    await page.waitForURL(`**/w/${workspace}`);
    // Audited in the workspace.
    const audit = await callApi(w, 'GET', '/audit-logs?limit=50', { workspace });
    expect(audit.data.map((e: { action: string }) => e.action)).toContain('user.password_reset');

    // The same link a second time: refused, said plainly, with the way to a new one.
    const again = await openPage(browser, app.baseUrl);
    await again.page.goto(link);
    await again.page.getByLabel('New password').fill('yet another passphrase');
    await again.page.getByRole('button', { name: 'Set the new password' }).click();
    await again.page.getByText('This reset link no longer works').waitFor();
    expect(await again.page.locator('main').textContent()).toContain('It was used already');
    expect(await again.page.getByLabel('New password').count()).toBe(0);
    await scanBothThemes(again.page, 'reset password, link used');
    await again.page.getByRole('link', { name: 'Ask for a new link' }).click();
    await again.page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
    // The refused attempt changed nothing: the new password still signs in.
    await signIn(again.page, newPassword);
    await again.page.waitForURL(`**/w/${workspace}`);
    expectNoProblems(again);
    await again.context.close();
    // The 400s and the 401 above are the app answering as designed; nothing else went wrong.
    expectNoProblems(w);
    await w.context.close();
  });

  it('refuses a link that has expired', async () => {
    const w = await openPage(browser, app.baseUrl);
    const link = await askForLink(w.page);
    await w.context.close();

    // An hour passes for the link: the app stops, its database ages every open link, it starts again.
    await app.stop();
    const database = await openDatabase({ dataDir });
    try {
      const aged = await database.db
        .updateTable('password_reset_tokens')
        .set({ expires_at: sql<Date>`now() - interval '1 second'` })
        .where('used_at', 'is', null)
        .executeTakeFirst();
      expect(Number(aged.numUpdatedRows)).toBe(1);
    } finally {
      await database.close();
    }
    await start();

    const later = await openPage(browser, app.baseUrl);
    const { page } = later;
    await page.goto(link);
    await page.getByLabel('New password').fill('an expired passphrase');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('This reset link no longer works').waitFor();
    // The password stays as it was.
    await signIn(page, newPassword);
    await page.waitForURL(`**/w/${workspace}`);
    expectNoProblems(later);
    await later.context.close();
  });
});
