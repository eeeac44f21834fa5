import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors seen so far (see `watch`). */
  problems: string[];
}

/**
 * A page whose uncaught errors and console errors are collected, so a test can fail on them.
 * Chromium logs every non-2xx response as a console error "Failed to load resource"; those are
 * the API answering as designed (401 before sign-in, a 400 the test provokes) and are checked
 * separately: any 5xx answer counts as a problem.
 */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1360, height: 900 },
  options: { locale?: string; colorScheme?: 'light' | 'dark' } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport,
    acceptDownloads: true,
    locale: options.locale ?? 'en-US',
    timezoneId: 'UTC',
    colorScheme: options.colorScheme ?? 'light',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    // The typed client warns when an answer does not match the shared schema: a contract drift.
    if (msg.type() === 'warning' && text.includes('does not match its schema'))
      problems.push(`schema drift: ${text}`);
    if (msg.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    problems.push(`console.error: ${text}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 500)
      problems.push(`HTTP ${res.status()} from ${res.request().method()} ${res.url()}`);
  });
  // The app asks in its own dialogs (ConfirmButton): a native one would be a regression.
  page.on('dialog', (dialog) => {
    problems.push(`native ${dialog.type()} dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, context, problems };
}

/** Answers the app's open confirmation dialog with its acting button (named like the action). */
export async function confirmIn(page: Page, action: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Please confirm' });
  await dialog.getByRole('button', { name: action, exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/**
 * Calls the API as the page's signed-in user (its cookies, the CSRF token echoed), naming the
 * workspace; fails the test on an answer other than 2xx.
 */
export async function callApi(
  w: WatchedPage,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  options: { workspace?: string; body?: unknown; contentType?: string } = {},
): Promise<any> {
  const cookies = await w.context.cookies();
  const csrf = cookies.find((c) => c.name === 'csrf_token')?.value;
  const headers: Record<string, string> = {};
  if (csrf) headers['X-CSRF-Token'] = decodeURIComponent(csrf);
  if (options.workspace) headers['X-Tenant-ID'] = options.workspace;
  if (options.contentType) headers['Content-Type'] = options.contentType;
  const res = await w.context.request.fetch(`/api/v1${path}`, {
    method,
    headers,
    ...(options.body === undefined
      ? {}
      : typeof options.body === 'string'
        ? { data: options.body }
        : { data: options.body as Record<string, unknown> }),
  });
  const text = await res.text();
  if (!res.ok()) throw new Error(`${method} ${path}: ${res.status()} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Form controls on the page that have no accessible name (no label, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
        'input, select, textarea',
      ),
    ]
      .filter((el) => el.type !== 'hidden' && el.getClientRects().length > 0)
      .filter(
        (el) =>
          !(el.labels && el.labels.length > 0) &&
          !el.getAttribute('aria-label') &&
          !el.getAttribute('aria-labelledby'),
      )
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}
