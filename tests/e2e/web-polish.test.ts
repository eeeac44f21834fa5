import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/web/lib/dates.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { expectNoAxeViolations } from './support/axe.ts';
import {
  callApi,
  confirmIn,
  launchBrowser,
  openPage,
  unlabelledControls,
  type WatchedPage,
} from './support/browser.ts';

/**
 * The app as careful as its numbers: messages a person understands, invitations that say who
 * and what, charts that explain themselves, locale-true dates and money, confirmations before
 * deletes, dark mode, and an axe-core scan of every page and dialog in both themes and at phone
 * width. One app and one browser for the file; the workspace is built through the API.
 */
describe('the web app, polished', () => {
  let app: RunningApp;
  let browser: Browser;
  let owner: WatchedPage;
  const workspace = 'polish-agency';
  const ownerEmail = 'paula@polish.test';
  const password = 'correct horse battery';
  const today = new Date().toISOString().slice(0, 10);
  let bloomId = '';
  let harborId = '';
  let hourlyId = '';

  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
    owner = await openPage(browser, app.baseUrl);
    await callApi(owner, 'POST', '/auth/signup', {
      body: { email: ownerEmail, password, name: 'Paula Owner' },
    });
    await callApi(owner, 'POST', '/tenants', {
      body: { name: 'Polish Agency', subdomain: workspace },
    });
    const w = { workspace };
    bloomId = (
      await callApi(owner, 'POST', '/sites', {
        ...w,
        body: { name: 'Bloom Florist', domain: 'bloom.test' },
      })
    ).id;
    harborId = (
      await callApi(owner, 'POST', '/sites', {
        ...w,
        body: { name: 'Harbor Dental', domain: 'harbor.test' },
      })
    ).id;
    const rows = Array.from({ length: 20 }, (_, i) => ({
      date: addDays(today, -i),
      sessions: 200 + i,
      clicks: 50 + i,
      impressions: 1000,
      position: 8.5,
      revenue: 10_000 + i * 150,
    }));
    await callApi(owner, 'POST', `/sites/${bloomId}/metrics`, { ...w, body: { rows } });
    // Harbor has Search Console clicks only: no sessions, no revenue.
    await callApi(owner, 'POST', `/sites/${harborId}/metrics`, {
      ...w,
      body: { rows: [0, 1, 2].map((i) => ({ date: addDays(today, -i), clicks: 10 + i })) },
    });
    await callApi(owner, 'POST', '/services', {
      ...w,
      body: {
        siteId: bloomId,
        name: 'SEO retainer',
        category: 'Content',
        billing: 'monthly',
        amount: 75_000,
        startDate: addDays(today, -40),
      },
    });
    hourlyId = (
      await callApi(owner, 'POST', '/services', {
        ...w,
        body: {
          siteId: bloomId,
          name: 'Audit hours',
          category: 'Technical SEO',
          billing: 'hourly',
          amount: 12_000,
          startDate: addDays(today, -10),
        },
      })
    ).id;
    await callApi(owner, 'POST', `/services/${hourlyId}/time-entries`, {
      ...w,
      body: { date: addDays(today, -2), hours: 2.5, note: 'Crawl and fixes' },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const expectNoProblems = async (w: WatchedPage) => {
    expect(w.problems, w.problems.join('\n')).toEqual([]);
    expect(await unlabelledControls(w.page)).toEqual([]);
  };
  const at = (page = '') => `/w/${workspace}${page ? `/${page}` : ''}`;
  /** Opens a page and waits for its h1 (and for it to stop loading). */
  const visit = async (page: Page, path: string, heading: string | RegExp) => {
    await page.goto(path);
    await page.getByRole('heading', { level: 1, name: heading }).first().waitFor();
    await expect.poll(() => page.locator('.loading').count()).toBe(0);
  };
  const signIn = async (w: WatchedPage) => {
    await w.page.goto('/login');
    await w.page.getByLabel('Email').fill(ownerEmail);
    await w.page.getByLabel('Password').fill(password);
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await w.page.waitForURL('**/w/**');
  };

  it('says each problem once, beside its field, in words', async () => {
    const visitor = await openPage(browser, app.baseUrl);
    const { page } = visitor;
    await page.goto('/signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    const errors = page.locator('.field-error');
    await expect.poll(() => errors.count()).toBe(3);
    const texts = await errors.allTextContents();
    expect(texts[0]).toBe('Required');
    expect(texts[1]).toBe('Must be an email address');
    expect(texts[2]).toMatch(/^Must be at least 10 characters/);
    // No banner repeating what the fields say, and no zod wording anywhere.
    expect(await page.locator('.alert').count()).toBe(0);
    const body = (await page.locator('main').textContent()) ?? '';
    expect(body).not.toMatch(/Too small|Too big|expected string|Invalid input/);
    await visitor.context.close();

    // The server's own answer reads the same way (an API key with a blank name).
    // The owner is signed in by the API sign-up.
    const { page: op } = owner;
    await visit(op, at('api-keys'), 'API keys');
    await op.getByLabel('Key name').fill('   ');
    await op.getByRole('button', { name: 'Create key' }).click();
    await expect.poll(() => op.locator('.field-error').allTextContents()).toEqual(['Required']);
    expect(await op.locator('.alert-error').count()).toBe(0);
    // The page links to the API documentation.
    expect(await op.getByRole('link', { name: 'API documentation' }).getAttribute('href')).toBe(
      '/api/docs',
    );

    // A rejected import: one title, one sentence, a field in every row.
    await visit(op, at(`sites/${bloomId}`), 'Bloom Florist');
    const bad =
      'date,sessions,revenue,clicks\n2026-13-01,10,5.00,1\n' + `${today},abc,1.00,x\n` + '1,2\n';
    await op
      .getByLabel(/Choose a CSV file/)
      .setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    // The mapping step previews the file; importing sends it, and the server lists every bad row.
    await op.getByRole('button', { name: /^Import \d+ rows?$/ }).click();
    const table = op.getByTestId('import-errors');
    await table.waitFor();
    const alert = op.locator('.alert-error');
    const alertText = (await alert.textContent()) ?? '';
    expect(alertText).toContain('bad.csv was not imported; nothing was written');
    expect(alertText.match(/nothing was (written|imported)/gi)).toHaveLength(1);
    const fields = await table.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(fields.length).toBeGreaterThanOrEqual(4);
    for (const f of fields) expect(f.trim()).not.toMatch(/^(—|)$/);
    expect(fields).toEqual(expect.arrayContaining(['date', 'sessions', 'clicks', 'whole row']));
    await expectNoProblems(owner);
  });

  let inviteLink = '';
  it('invites a client only with a site, lists role and sites, and starts the form over', async () => {
    const { page } = owner;
    await visit(page, at('members'), 'Members');
    await page.getByLabel('Email').fill('carla@client.test');
    await page.getByLabel('Role').selectOption('client');
    let requests = 0;
    const count = (r: { url: () => string; method: () => string }) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/invitations')) requests++;
    };
    page.on('request', count);
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const sitesGroup = page.getByRole('group', { name: 'Sites this client may see' });
    await expect
      .poll(() => sitesGroup.locator('.field-error').textContent())
      .toBe('Choose at least one site');
    expect(requests).toBe(0);
    await page.getByRole('checkbox', { name: /Bloom Florist/ }).check();
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const link = page.getByLabel('Invitation link');
    await link.waitFor();
    page.off('request', count);
    inviteLink = (await link.inputValue()).replace(/^https?:\/\/[^/]+/, '');
    // Reset completely: address empty, role back to member, no site list.
    expect(await page.getByLabel('Email').inputValue()).toBe('');
    expect(await page.getByLabel('Role').inputValue()).toBe('member');
    expect(await sitesGroup.count()).toBe(0);
    const row = page.getByRole('row', { name: /carla@client\.test/ });
    await expect.poll(() => row.textContent()).toContain('client');
    expect(await row.getByTestId('invitation-sites').textContent()).toBe('Sites: Bloom Florist');
    await expectNoAxeViolations(page, 'members with a new invitation');
    await expectNoProblems(owner);
  });

  it('the invitation page names workspace, role and inviter, and never shows the address to someone else', async () => {
    // Signed out: the summary, and sign-up prefilled with the invited address.
    const visitor = await openPage(browser, app.baseUrl, { width: 390, height: 844 });
    const { page } = visitor;
    await page.goto(inviteLink);
    await page.getByRole('heading', { level: 1, name: 'Join Polish Agency' }).waitFor();
    expect(await page.getByTestId('invitation-summary').textContent()).toMatch(
      /Paula Owner invited you to join Polish Agency as a client, to see the reports of 1 site\./,
    );
    expect(await page.getByLabel('Work email').inputValue()).toBe('carla@client.test');
    await scanAll(page, 'invite page, signed out');
    await visitor.context.close();

    // Someone else signed in (the owner): told it is not theirs, never whose.
    const { page: op } = owner;
    await op.goto(inviteLink);
    await op.getByText('This invitation is for another email address').waitFor();
    expect(await op.content()).not.toContain('carla@client.test');
    expect(await op.getByRole('button', { name: 'Accept invitation' }).count()).toBe(0);
    await expectNoAxeViolations(op, 'invite page, another user');
    await expectNoProblems(owner);
  });

  it('asks before withdrawing an invitation and before deleting a time entry', async () => {
    const { page } = owner;
    await visit(page, at('members'), 'Members');
    const row = page.getByRole('row', { name: /carla@client\.test/ });
    await row.getByRole('button', { name: /Withdraw/ }).click();
    const ask = page.getByRole('dialog', { name: 'Please confirm' });
    await ask.getByText('Withdraw the invitation for carla@client.test?').waitFor();
    await expectNoAxeViolations(page, 'confirm dialog', { include: 'dialog[open]' });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    expect(await row.count()).toBe(1);
    await row.getByRole('button', { name: /Withdraw/ }).click();
    await confirmIn(page, 'Withdraw');
    await expect.poll(() => row.count()).toBe(0);

    await visit(page, at('services'), 'Services');
    await page.getByRole('button', { name: 'Time entries' }).click();
    const dialog = page.getByRole('dialog', { name: /Audit hours/ });
    await dialog.getByText('Crawl and fixes').waitFor();
    await expectNoAxeViolations(page, 'time entries dialog', { include: 'dialog[open]' });
    await dialog.getByRole('button', { name: /Delete the entry of/ }).click();
    const confirm = page.getByRole('dialog', { name: 'Please confirm' });
    await confirm.getByText(/Delete the 2\.5 hours logged on/).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog.getByText('Crawl and fixes').count()).toBe(1);
    await dialog.getByRole('button', { name: /Delete the entry of/ }).click();
    await confirmIn(page, 'Delete');
    await dialog.getByText('No hours logged yet').waitFor();
    await page.keyboard.press('Escape');
    await expectNoProblems(owner);
  });

  it('draws the site chart with axis titles, matching legend colours, cost beside revenue and no empty series', async () => {
    const { page } = owner;
    await visit(page, at(`sites/${bloomId}`), 'Bloom Florist');
    // The site overview's period (the Search panel below has its own).
    await page.getByLabel('Period').first().selectOption('last_12_months');
    const chart = page.getByTestId('site-metrics-chart');
    await chart.locator('.recharts-bar-rectangle').first().waitFor();
    const svgText = (await chart.locator('.recharts-wrapper').first().textContent()) ?? '';
    expect(svgText).toContain('Period');
    expect(svgText).toContain('Sessions and clicks');
    expect(svgText).toContain('Revenue and cost (USD)');
    // Bars wide enough for their values carry them (a wide screen), thin ones do not (a phone).
    await page.setViewportSize({ width: 1900, height: 900 });
    await expect.poll(() => chart.locator('.bar-value').count()).toBeGreaterThanOrEqual(2);
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => chart.locator('.bar-value').count()).toBe(0);
    await page.setViewportSize({ width: 1360, height: 900 });
    const legend = await chart.locator('.recharts-legend-item').allTextContents();
    expect(legend).toEqual(['Revenue', 'Cost', 'Sessions', 'Clicks']);
    // Every legend swatch has the colour of its marks.
    const colours = await chart.evaluate((fig) => {
      const swatch = (i: number) => {
        const icon = fig.querySelectorAll('.recharts-legend-item')[i]!.querySelector('path')!;
        const fill = icon.getAttribute('fill');
        return fill && fill !== 'none' ? fill : icon.getAttribute('stroke');
      };
      const bars = [...fig.querySelectorAll('.recharts-bar')].map((b) =>
        b.querySelector('.recharts-bar-rectangle path')?.getAttribute('fill'),
      );
      const lines = [...fig.querySelectorAll('.recharts-line-curve')].map((l) =>
        l.getAttribute('stroke'),
      );
      return { legend: [0, 1, 2, 3].map(swatch), marks: [...bars, ...lines] };
    });
    expect(colours.legend).toEqual(colours.marks);
    // Money in the tooltip, in the workspace's currency.
    await chart.locator('.recharts-bar-rectangle').last().hover();
    await expect
      .poll(() => chart.locator('.recharts-tooltip-wrapper').textContent())
      .toMatch(/Revenue\s*:\s*\$[\d,]+\.\d{2}/);
    // The chart is not a keyboard trap: no focusable stop inside it.
    expect(await chart.locator('[tabindex]:not([tabindex="-1"]), a, button').count()).toBe(0);

    // Harbor has clicks only: no sessions line, no revenue bars, no money axis.
    await visit(page, at(`sites/${harborId}`), 'Harbor Dental');
    const harbor = page.getByTestId('site-metrics-chart');
    await harbor.locator('.recharts-line-curve').first().waitFor();
    expect(await harbor.locator('.recharts-legend-item').allTextContents()).toEqual(['Clicks']);
    expect(await harbor.locator('.recharts-line-curve').count()).toBe(1);
    await expectNoProblems(owner);
  });

  /**
   * Reads every chart on the page as drawn: the colour of each text (ticks, axis titles, value
   * labels, legend), mark (bars, lines) and grid line, with its contrast against the card behind
   * the chart, and the legend swatches beside the colours of the marks.
   */
  const readCharts = (page: Page) =>
    page.evaluate(() => {
      const probe = document.createElement('span');
      document.body.append(probe);
      const rgb = (colour: string) => {
        probe.style.color = '';
        probe.style.color = colour;
        return getComputedStyle(probe).color;
      };
      const channels = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = (c: string) => {
        const [r, g, b] = channels(c).map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const contrast = (a: string, b: string) => {
        const [x, y] = [luminance(a), luminance(b)].sort((m, n) => n - m);
        return Math.round(((x! + 0.05) / (y! + 0.05)) * 100) / 100;
      };
      const backdrop = (el: Element) => {
        for (let e: Element | null = el; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          if (channels(bg)[3] !== 0 && bg !== 'transparent') return bg;
        }
        return 'rgb(255, 255, 255)';
      };
      const paint = (el: Element, prop: 'fill' | 'stroke') => {
        const own = el.getAttribute(prop);
        return rgb(own && own !== 'none' ? own : getComputedStyle(el)[prop]);
      };
      const charts = [...document.querySelectorAll('figure.chart')].map((fig) => {
        const bg = backdrop(fig);
        const texts = [...fig.querySelectorAll('svg text')]
          .filter((t) => (t.textContent ?? '').trim())
          .map((t) => ({ text: t.textContent!.trim(), contrast: contrast(paint(t, 'fill'), bg) }));
        const legendTexts = [...fig.querySelectorAll('.recharts-legend-item-text')].map((t) => ({
          text: t.textContent ?? '',
          contrast: contrast(getComputedStyle(t).color, bg),
        }));
        const bars = [...fig.querySelectorAll('.recharts-bar')]
          .map((b) => b.querySelector('.recharts-bar-rectangle path'))
          .filter((p): p is Element => !!p)
          .map((p) => paint(p, 'fill'));
        const lines = [...fig.querySelectorAll('.recharts-line-curve')].map((l) =>
          paint(l, 'stroke'),
        );
        const marks = [...bars, ...lines];
        const swatches = [...fig.querySelectorAll('.recharts-legend-item')].map((item) => {
          const icon = item.querySelector('path, line, rect')!;
          const fill = icon.getAttribute('fill');
          return rgb(fill && fill !== 'none' ? fill : icon.getAttribute('stroke')!);
        });
        const grid = [...fig.querySelectorAll('.recharts-cartesian-grid line')].map((l) =>
          contrast(paint(l, 'stroke'), bg),
        );
        return {
          name: fig.getAttribute('aria-label') ?? '',
          background: bg,
          tick: texts[0] ? paint(fig.querySelector('svg text')!, 'fill') : '',
          texts,
          legendTexts,
          marks,
          markContrast: marks.map((m) => contrast(m, bg)),
          swatches,
          grid,
        };
      });
      probe.remove();
      return charts;
    });

  /**
   * Checks every chart on the page in both themes: axis and legend text at 4.5:1 against the
   * card, marks at 3:1, grid lines visible, legend swatches the colours of the marks. Returns
   * the axis text colour of each chart per theme.
   */
  const checkCharts = async (page: Page, where: string, expected: number) => {
    const ticks: Record<string, Set<string>> = {};
    await expect
      .poll(() => page.locator('figure.chart .recharts-surface').count())
      .toBeGreaterThanOrEqual(expected);
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      // The palette is read again on the theme change: wait for the redrawn frame.
      await page.evaluate(
        () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
      );
      const charts = await readCharts(page);
      expect(charts.length, where).toBeGreaterThanOrEqual(expected);
      for (const c of charts) {
        const at = `${where}, ${c.name} (${colorScheme})`;
        expect(c.texts.length, `${at}: axis text`).toBeGreaterThan(0);
        for (const t of [...c.texts, ...c.legendTexts])
          expect(t.contrast, `${at}: "${t.text}"`).toBeGreaterThanOrEqual(4.5);
        expect(c.marks.length, `${at}: marks`).toBeGreaterThan(0);
        for (const m of c.markContrast) expect(m, `${at}: a mark`).toBeGreaterThanOrEqual(3);
        for (const g of c.grid) expect(g, `${at}: grid`).toBeGreaterThanOrEqual(1.2);
        if (c.swatches.length) expect(new Set(c.swatches), at).toEqual(new Set(c.marks));
        (ticks[c.name] ??= new Set()).add(c.tick);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    // The axis text changed with the theme on every chart (the library's grey serves neither).
    for (const [name, colours] of Object.entries(ticks))
      expect(colours.size, `${where}, ${name}`).toBe(2);
  };

  it('draws every chart in the theme’s colours: legible text, visible marks and matching legends in both themes', async () => {
    const { page } = owner;
    await visit(page, at(), 'Dashboard');
    await checkCharts(page, 'dashboard', 3);
    await visit(page, at(`sites/${bloomId}`), 'Bloom Florist');
    await page.getByTestId('search-panel').waitFor();
    await checkCharts(page, 'site', 3);
    await expectNoProblems(owner);
  });

  it('the shared report reads in both themes, passes axe on desktop and phone, its brand colour only where legible', async () => {
    const link = await callApi(owner, 'POST', '/report-links', {
      workspace,
      body: { name: 'Bloom: last 90 days', siteIds: [bloomId], period: { preset: 'last_90_days' } },
    });
    const reader = await openPage(browser, app.baseUrl);
    const { page } = reader;
    await page.goto(new URL(link.url).pathname);
    await page.getByRole('heading', { name: 'Value versus cost' }).waitFor();
    await checkCharts(page, 'shared report', 2);
    await scanAll(page, 'shared report');
    await expectNoProblems(reader);
    await reader.context.close();
  });

  it('formats dates and money in the browser’s locale, and the figures fit a phone', async () => {
    const german = await openPage(
      browser,
      app.baseUrl,
      { width: 390, height: 844 },
      { locale: 'de-DE' },
    );
    await signIn(german);
    const { page } = german;
    await visit(page, at(`sites/${bloomId}`), 'Bloom Florist');
    const report = await callApi(
      german,
      'GET',
      // The site page's default period: the 90 days ending yesterday.
      `/reports/roi?from=${addDays(today, -90)}&to=${addDays(today, -1)}&groupBy=week&siteId=${bloomId}`,
      { workspace },
    );
    const stats = page.locator('.stats').first(); // the site overview's figures
    const revenue = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'USD' }).format(
      report.totals.revenue / 100,
    );
    await expect.poll(() => stats.textContent()).toContain(revenue);
    // The chart's money axis in the German style too ("10.000 $", not "$10,000").
    const money = await page
      .getByTestId('site-metrics-chart')
      .locator('.recharts-cartesian-axis-tick-value')
      .allTextContents();
    const moneyTicks = money.filter((t) => t.includes('$'));
    expect(moneyTicks.length, money.join(' | ')).toBeGreaterThan(0);
    for (const t of moneyTicks) expect(t).toMatch(/^[\d.,]+(\s|\u00a0)?[\w.]*\s?\$$/u);
    // Service dates in the German style, not ISO.
    const start = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeZone: 'UTC' }).format(
      new Date(`${addDays(today, -40)}T00:00:00Z`),
    );
    expect(await page.locator('.plain-list').first().textContent()).toContain(start);
    expect(await page.locator('.plain-list').first().textContent()).not.toMatch(
      /\d{4}-\d{2}-\d{2}/,
    );
    // Every figure fits its card.
    const overflowing = await page.evaluate(() =>
      [...document.querySelectorAll('.stats dd, .kpi-value')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.textContent),
    );
    expect(overflowing).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    await german.context.close();
  });

  it('thanks for a checkout once, and billing never shows a renewal beside an access-until date', async () => {
    const { page } = owner;
    await page.goto(`${at('billing')}?checkout=success`);
    await page.getByText('Thank you: payment received').waitFor();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    await page.reload();
    await page.getByTestId('current-plan').waitFor();
    expect(await page.getByText('Thank you: payment received').count()).toBe(0);

    // Subscribe through the sandbox, then a payment fails: access until, and no renewal date.
    await page
      .getByTestId('plan-starter')
      .getByRole('button', { name: /Choose Starter/ })
      .click();
    await page.waitForURL('**/sandbox/stripe/checkout/**');
    await page.locator('main h1').waitFor();
    await expectNoAxeViolations(page, 'sandbox checkout');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL(`**${at('billing')}**`);
    await expect.poll(() => page.getByTestId('plan-date').textContent()).toContain('Renews on');
    await page.getByRole('button', { name: 'Manage subscription' }).click();
    await page.waitForURL('**/sandbox/stripe/portal/**');
    await page.locator('main h1').waitFor();
    await expectNoAxeViolations(page, 'sandbox portal');
    await page.getByRole('button', { name: 'Simulate failed payment' }).click();
    await page.waitForURL('**/sandbox/stripe/portal/**');
    await page.getByRole('link', { name: 'Return to ROI Spectrum' }).click();
    await page.waitForURL(`**${at('billing')}`);
    await expect
      .poll(
        async () => (await callApi(owner, 'GET', '/billing/subscription', { workspace })).status,
      )
      .toBe('past_due');
    await page.reload();
    await expect.poll(() => page.getByTestId('plan-date').textContent()).toContain('Access until');
    expect(await page.getByTestId('current-plan').textContent()).not.toContain('Renews on');
    await expectNoAxeViolations(page, 'billing, past due');
  });

  it('follows the system theme, and the toggle overrides it and is remembered', async () => {
    const dark = await openPage(browser, app.baseUrl, undefined, { colorScheme: 'dark' });
    const { page } = dark;
    await page.goto('/login');
    const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const isDark = async () => {
      const [r, g, b] = ((await bg()).match(/\d+/g) ?? []).map(Number);
      return r! + g! + b! < 200;
    };
    await expect.poll(isDark).toBe(true);
    await page.getByLabel('Theme').selectOption('light');
    await expect.poll(isDark).toBe(false);
    await page.reload();
    await expect.poll(isDark).toBe(false);
    expect(await page.getByLabel('Theme').inputValue()).toBe('light');
    await page.getByLabel('Theme').selectOption('system');
    await expect.poll(isDark).toBe(true);
    await dark.context.close();
  });

  it('has a heading on unknown pages', async () => {
    const { page } = owner;
    await visit(page, '/no-such-page', 'Page not found');
    await expectNoAxeViolations(page, 'not found');
    await visit(page, at('no-such-page'), 'Page not found');
    await expectNoAxeViolations(page, 'not found in a workspace');
  });

  /** Every page of the app, and how to see that it is ready. */
  const PAGES: { name: string; path: () => string; heading: string | RegExp }[] = [
    { name: 'dashboard', path: () => at(), heading: 'Dashboard' },
    { name: 'sites', path: () => at('sites'), heading: 'Sites' },
    { name: 'site', path: () => at(`sites/${bloomId}`), heading: 'Bloom Florist' },
    { name: 'services', path: () => at('services'), heading: 'Services' },
    { name: 'billing', path: () => at('billing'), heading: 'Billing' },
    { name: 'members', path: () => at('members'), heading: 'Members' },
    { name: 'api keys', path: () => at('api-keys'), heading: 'API keys' },
    { name: 'audit log', path: () => at('audit'), heading: 'Audit log' },
    { name: 'settings', path: () => at('settings'), heading: 'Settings' },
    { name: 'integrations', path: () => at('integrations'), heading: 'Integrations' },
    { name: 'shared reports', path: () => at('shared-reports'), heading: 'Shared reports' },
    { name: 'report e-mails', path: () => at('report-emails'), heading: 'Report e-mails' },
    { name: 'outbox', path: () => at('outbox'), heading: 'Outbox' },
    { name: 'new workspace', path: () => '/workspaces/new', heading: /workspace/i },
  ];
  const GUEST_PAGES = [
    { name: 'sign in', path: '/login', heading: /Sign in/ },
    { name: 'sign up', path: '/signup', heading: 'Create your account' },
    { name: 'forgot password', path: '/forgot-password', heading: 'Reset your password' },
    {
      name: 'reset password',
      path: '/reset-password?token=pwr_from_the_mail',
      heading: 'Choose a new password',
    },
  ];
  /**
   * Every kind of dialog the app has, opened from its page: `ready` shows the page's data is in
   * (the opener itself where nothing else loads first). The confirmation every delete asks and
   * the time entries dialog follow in the test itself.
   */
  const DIALOGS: {
    name: string;
    page: () => string;
    heading: string;
    ready: (page: Page) => Locator;
    opener: (page: Page) => Locator;
    dialog: string | RegExp;
  }[] = [
    {
      name: 'add site',
      page: () => at('sites'),
      heading: 'Sites',
      ready: (p) => p.getByRole('row', { name: /Bloom Florist/ }),
      opener: (p) => p.getByRole('button', { name: 'Add site', exact: true }).first(),
      dialog: /Add a site|Add site/,
    },
    {
      name: 'add service',
      page: () => at('services'),
      heading: 'Services',
      ready: (p) => p.getByRole('row', { name: /SEO retainer/ }),
      opener: (p) => p.getByRole('button', { name: 'Add service', exact: true }).first(),
      dialog: /Add a service|Add service/,
    },
    {
      name: 'ROI help',
      page: () => at(),
      heading: 'Dashboard',
      ready: (p) => p.getByRole('button', { name: 'How ROI is calculated' }).first(),
      opener: (p) => p.getByRole('button', { name: 'How ROI is calculated' }).first(),
      dialog: 'How ROI is calculated',
    },
    {
      name: 'new goal',
      page: () => at(),
      heading: 'Dashboard',
      ready: (p) => p.getByRole('button', { name: 'Add goal' }),
      opener: (p) => p.getByRole('button', { name: 'Add goal' }),
      dialog: 'New goal',
    },
    {
      name: 'report e-mail',
      page: () => at('report-emails'),
      heading: 'Report e-mails',
      ready: (p) => p.getByRole('button', { name: 'Schedule a report', exact: true }),
      opener: (p) => p.getByRole('button', { name: 'Schedule a report', exact: true }),
      dialog: 'Schedule a report e-mail',
    },
    {
      name: 'outbox message',
      page: () => at('outbox'),
      heading: 'Outbox',
      ready: (p) => p.getByRole('button', { name: /Join Polish Agency/ }).first(),
      opener: (p) => p.getByRole('button', { name: /Join Polish Agency/ }).first(),
      dialog: 'Message',
    },
  ];

  /**
   * Scans the page as it is in every combination: desktop and phone width, light and dark
   * system theme. Switching the viewport and the colour scheme in place (no reload) also checks
   * that the app follows a theme change while open.
   */
  const scanAll = async (page: Page, where: string, include?: string) => {
    for (const width of [1360, 390]) {
      await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        // Two frames: the resize and the new palette reach the charts.
        await page.evaluate(
          () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
        );
        await expectNoAxeViolations(page, `${where} (${colorScheme}, ${width} px)`, { include });
        if (width < 500 && !include) {
          const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
          // What sticks out, named in the failure.
          const wide = await page.evaluate((w) => {
            const out = [...document.querySelectorAll('body *')].filter(
              (el) => el.getBoundingClientRect().right > w + 1,
            );
            return out
              .filter((el) => !out.includes(el.parentElement!))
              .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)
              .slice(0, 5);
          }, width);
          expect(scroll, `${where} fits ${width} px: ${wide.join(', ')}`).toBeLessThanOrEqual(
            width,
          );
          // Key figures fit their cards.
          const clipped = await page.evaluate(() =>
            [...document.querySelectorAll('.stats dd, .kpi-value')]
              .filter((el) => el.scrollWidth > el.clientWidth + 1)
              .map((el) => el.textContent),
          );
          expect(clipped, `${where}: figures wider than their cards`).toEqual([]);
        }
      }
    }
    await page.setViewportSize({ width: 1360, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
  };

  it('passes axe on the sign-in, sign-up and password reset pages, both themes, desktop and phone', async () => {
    const w = await openPage(browser, app.baseUrl);
    for (const p of GUEST_PAGES) {
      await visit(w.page, p.path, p.heading);
      await scanAll(w.page, p.name);
    }
    await expectNoProblems(w);
    await w.context.close();
  });

  it('passes axe on every workspace page, both themes, desktop and phone', async () => {
    const w = await openPage(browser, app.baseUrl);
    await signIn(w);
    // A shared report in the list, with its row of actions, whichever tests ran before.
    await callApi(w, 'POST', '/report-links', {
      workspace,
      body: { name: 'Scanned link', siteIds: [bloomId], period: { preset: 'last_30_days' } },
    });
    for (const p of PAGES) {
      await visit(w.page, p.path(), p.heading);
      await scanAll(w.page, p.name);
    }
    // The phone menu, open.
    await visit(w.page, at(), 'Dashboard');
    await w.page.setViewportSize({ width: 390, height: 844 });
    await w.page.getByRole('button', { name: 'Menu' }).click();
    for (const colorScheme of ['light', 'dark'] as const) {
      await w.page.emulateMedia({ colorScheme });
      await expectNoAxeViolations(w.page, `phone menu (${colorScheme})`);
    }
    await expectNoProblems(w);
    await w.context.close();
  });

  /**
   * Opens a dialog with a click once the page can take it: its list loaded (the row the test
   * needs is drawn), the opener visible and enabled, no other dialog open; then waits for the
   * dialog itself. Each step waits for what the page shows, never for a time.
   */
  const openDialog = async (page: Page, ready: Locator, opener: Locator, dialog: Locator) => {
    await ready.waitFor();
    await expect.poll(() => page.locator('.loading, dialog[open]').count()).toBe(0);
    await expect.poll(() => opener.isEnabled()).toBe(true);
    await opener.click();
    await dialog.waitFor();
  };
  /** Closes the open dialog with Escape and waits until it is gone. */
  const closeDialog = async (page: Page) => {
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('dialog[open]').count()).toBe(0);
  };

  it('passes axe on every dialog, both themes, desktop and phone', async () => {
    const w = await openPage(browser, app.baseUrl);
    await signIn(w);
    const { page } = w;
    const row = (name: RegExp) => page.getByRole('row', { name });
    // A message in the outbox to open, whichever tests ran before.
    await callApi(w, 'POST', '/invitations', {
      workspace,
      body: { email: 'otto@outbox.test', role: 'member' },
    });
    for (const d of DIALOGS) {
      await visit(page, d.page(), d.heading);
      await openDialog(
        page,
        d.ready(page),
        d.opener(page),
        page.getByRole('dialog', { name: d.dialog }),
      );
      await scanAll(page, `${d.name} dialog`, 'dialog[open]');
      await closeDialog(page);
    }
    // The confirmation every delete asks, and the time entries of an hourly service.
    await visit(page, at('sites'), 'Sites');
    await openDialog(
      page,
      row(/Harbor Dental/),
      page.getByRole('button', { name: 'Delete Harbor Dental' }),
      page.getByRole('dialog', { name: 'Please confirm' }),
    );
    await scanAll(page, 'confirm dialog', 'dialog[open]');
    await closeDialog(page);
    await visit(page, at('services'), 'Services');
    const timeEntries = page.getByRole('dialog', { name: /Audit hours/ });
    await openDialog(
      page,
      row(/Audit hours/),
      row(/Audit hours/).getByRole('button', { name: 'Time entries' }),
      timeEntries,
    );
    // Its entries loaded: the list, or the note that there is none (an earlier test deletes one).
    await timeEntries
      .getByText(/^(No hours logged yet|Total)$/)
      .first()
      .waitFor();
    await expect.poll(() => timeEntries.locator('.loading').count()).toBe(0);
    await scanAll(page, 'time entries dialog', 'dialog[open]');
    await closeDialog(page);
    await expectNoProblems(w);
    await w.context.close();
  });

  it('the axe helper fails on a violation (a planted image without alt text)', async () => {
    const { page } = owner;
    await visit(page, at('settings'), 'Settings');
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = 'data:,';
      document.querySelector('main')!.append(img);
    });
    await expect(expectNoAxeViolations(page, 'planted')).rejects.toThrow(/image-alt/);
    await page.reload();
  });
});
