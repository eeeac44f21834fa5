import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createService, createSite, importRows } from './helpers.ts';

/**
 * Attribution, coverage and comparisons (contract v2). Every expected figure is worked out by hand
 * in the comments: credited value = round((revenue + conversions × conversionValue) × share ×
 * margin − baseline mean), per day and site, half away from zero.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

async function report(tenant: TestTenant, query: string) {
  const res = await tenant.owner.client.get(`/api/v1/reports/roi?${query}`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe('site attribution', () => {
  it('defaults, validates, is audited, and shows on read and list', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const defaults = { revenueShare: 1, conversionValue: 0, grossMargin: 1, baseline: null };
    expect((await c.get(`/api/v1/sites/${site.id}`)).body.attribution).toEqual(defaults);
    for (const attribution of [
      { revenueShare: 1.5 },
      { revenueShare: -0.1 },
      { grossMargin: 0.1234567 },
      { conversionValue: -1 },
      { conversionValue: 1.5 },
      { baseline: { from: '2026-02-01', to: '2026-01-01' } },
      { baseline: { from: '2000-01-01', to: '2026-01-01' } },
      { baseline: { from: '2026-02-30', to: '2026-03-01' } },
      { baseline: { from: '2026-01-01' } },
      {},
    ]) {
      const bad = await c.patch(`/api/v1/sites/${site.id}`, { attribution });
      expect(bad.status, JSON.stringify(attribution)).toBe(400);
      expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    }
    const set = {
      revenueShare: 0.35,
      conversionValue: 4_000,
      grossMargin: 0.6,
      baseline: { from: '2025-01-01', to: '2025-03-31' },
    };
    const patched = await c.patch(`/api/v1/sites/${site.id}`, { attribution: set });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.attribution).toEqual(set);
    // A partial change keeps the other fields.
    const partial = await c.patch(`/api/v1/sites/${site.id}`, { attribution: { baseline: null } });
    expect(partial.body.attribution).toEqual({ ...set, baseline: null });
    const list = await c.get('/api/v1/sites');
    expect(list.body.data[0].attribution).toEqual({ ...set, baseline: null });
    const events = await app.database.db
      .selectFrom('audit_events')
      .select(['action', 'changes'])
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'site.updated')
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.changes)).toEqual([
      { attribution: { from: defaults, to: set } },
      { attribution: { from: set, to: { ...set, baseline: null } } },
    ]);
    // A client reads the attribution of a granted site but cannot change it; another tenant
    // gets 404.
    const client = await addMember(app, tenant, 'client', [site.id]);
    expect((await client.client.get(`/api/v1/sites/${site.id}`)).body.attribution).toEqual({
      ...set,
      baseline: null,
    });
    const denied = await client.client.patch(`/api/v1/sites/${site.id}`, {
      attribution: { revenueShare: 1 },
    });
    expect(denied.status).toBe(403);
    const other = await buildTenant(app);
    const foreign = await other.owner.client.patch(`/api/v1/sites/${site.id}`, {
      attribution: { revenueShare: 1 },
    });
    expect(foreign.status).toBe(404);
  });

  it('credits value per day and site, rounded per day, without a baseline', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    await importRows(tenant, site.id, [
      { date: '2026-03-01', revenue: 10_001 },
      { date: '2026-03-02', revenue: 10_003, conversions: 1 },
      { date: '2026-03-03', conversions: 3 },
    ]);
    const url = 'from=2026-03-01&to=2026-03-31';
    // Default attribution: value = revenue.
    expect((await report(tenant, url)).totals).toMatchObject({ revenue: 20_004, value: 20_004 });
    // Conversions worth 1,000 each, all of it credited: the stored days are credited again.
    const priced = await c.patch(`/api/v1/sites/${site.id}`, {
      attribution: { conversionValue: 1_000 },
    });
    expect(priced.status, priced.text).toBe(200);
    expect((await report(tenant, url)).totals).toMatchObject({ revenue: 20_004, value: 24_004 });
    // And days imported under it are credited as they arrive (a workspace of its own: the plan
    // allows two sites).
    const second = await buildTenant(app);
    const other = await createSite(second);
    await second.owner.client.patch(`/api/v1/sites/${other.id}`, {
      attribution: { conversionValue: 1_000 },
    });
    await importRows(second, other.id, [{ date: '2026-05-01', revenue: 7, conversions: 2 }]);
    const otherUrl = 'from=2026-05-01&to=2026-05-01';
    expect((await report(second, otherUrl)).totals.value).toBe(2_007);
    const res = await c.patch(`/api/v1/sites/${site.id}`, {
      attribution: { revenueShare: 0.5, grossMargin: 0.4, conversionValue: 1_000 },
    });
    expect(res.status, res.text).toBe(200);
    await createService(tenant, site.id, {
      billing: 'one_time',
      amount: 1_000,
      startDate: '2026-03-01',
    });
    // × 0.2: 10,001 → 2,000.2 → 2,000; 11,003 → 2,200.6 → 2,201; 3,000 → 600.
    const month = await report(tenant, url);
    expect(month.totals).toMatchObject({
      revenue: 20_004,
      value: 4_801,
      cost: 1_000,
      profit: 3_801,
      roi: 3.801,
      conversions: 4,
    });
    expect(month.series[0]).toMatchObject({ key: '2026-03', value: 4_801, profit: 3_801 });
    const days = await report(tenant, 'from=2026-03-01&to=2026-03-04&groupBy=day');
    expect(days.series.map((s: { value: number }) => s.value)).toEqual([2_000, 2_201, 600, 0]);
    expect(days.totals.coverage).toEqual({ days: 4, daysWithData: 3 });
    // A partial month (read from days), the site grouping (read from rollups) agree.
    expect((await report(tenant, 'from=2026-03-02&to=2026-03-31')).totals.value).toBe(2_801);
    const bySite = await report(tenant, `${url}&groupBy=site`);
    expect(bySite.series[0]).toMatchObject({ key: site.id, value: 4_801 });
    // Half a minor unit rounds away from zero: 2,001 × 0.5 = 1,000.5 → 1,001.
    const half = await createSite(tenant);
    await c.patch(`/api/v1/sites/${half.id}`, { attribution: { revenueShare: 0.5 } });
    await importRows(tenant, half.id, [{ date: '2026-04-01', revenue: 2_001 }]);
    expect(
      (await report(tenant, `from=2026-04-01&to=2026-04-01&siteId=${half.id}`)).totals.value,
    ).toBe(1_001);
  });

  it('subtracts the baseline daily mean from every day with data, rounded per day', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    // The baseline is set before its days are imported: the import recomputes the mean.
    const set = await c.patch(`/api/v1/sites/${site.id}`, {
      attribution: { baseline: { from: '2026-01-01', to: '2026-01-03' } },
    });
    expect(set.status, set.text).toBe(200);
    await importRows(tenant, site.id, [
      { date: '2026-02-01', revenue: 250 },
      { date: '2026-02-02', revenue: 50 },
      { date: '2026-02-04', sessions: 9 },
    ]);
    const feb = 'from=2026-02-01&to=2026-02-28';
    // Baseline without data yet: a mean of 0.
    expect((await report(tenant, feb)).totals.value).toBe(300);
    // January 1st–3rd: 100, 201 and no row (0): the mean is 301 / 3 = 100.333…
    await importRows(tenant, site.id, [
      { date: '2026-01-01', revenue: 100 },
      { date: '2026-01-02', revenue: 201 },
    ]);
    // 250 − 100.33 = 149.67 → 150; 50 − 100.33 = −50.33 → −50; 0 − 100.33 → −100; the 3rd has no
    // row: nothing. 0 in all (a single subtraction of 3 × 100.33 would give −1).
    const report1 = await report(tenant, feb);
    expect(report1.totals).toMatchObject({ revenue: 300, value: 0 });
    expect(report1.totals.coverage).toEqual({ days: 28, daysWithData: 3 });
    const days = await report(tenant, 'from=2026-02-01&to=2026-02-04&groupBy=day');
    expect(days.series.map((s: { value: number }) => s.value)).toEqual([150, -50, 0, -100]);
    // Read from days at a partial edge month: the 2nd–4th.
    expect((await report(tenant, 'from=2026-02-02&to=2026-02-28')).totals.value).toBe(-150);
    // The baseline days themselves: 100 − 100.33 → 0 (−0.33), 201 − 100.33 = 100.67 → 101.
    expect((await report(tenant, 'from=2026-01-01&to=2026-01-31')).totals.value).toBe(101);
    // Half away from zero on the negative side: a two-day baseline holding 1 has a mean of 0.5.
    await c.patch(`/api/v1/sites/${site.id}`, {
      attribution: { baseline: { from: '2025-06-01', to: '2025-06-02' } },
    });
    await importRows(tenant, site.id, [
      { date: '2025-06-01', revenue: 1 },
      { date: '2025-07-01', revenue: 0 },
      { date: '2025-07-02', revenue: 3 },
    ]);
    // −0.5 → −1 and 2.5 → 3.
    const july = await report(tenant, 'from=2025-07-01&to=2025-07-02&groupBy=day');
    expect(july.series.map((s: { value: number }) => s.value)).toEqual([-1, 3]);
    // The new baseline applies to February too: 249.5 → 250, 49.5 → 50, −0.5 → −1.
    expect((await report(tenant, feb)).totals.value).toBe(299);
  });

  it('credits the days of an import under the baseline mean that import brings', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const set = await c.patch(`/api/v1/sites/${site.id}`, {
      attribution: {
        baseline: { from: '2026-03-01', to: '2026-03-04' },
        conversionValue: 10,
        grossMargin: 0.5,
      },
    });
    expect(set.status, set.text).toBe(200);
    // History loaded in one import, baseline included (a new site: no rollup credited earlier).
    // Baseline gross: 100 + (40 + 2 × 10) + 0 + no row = 160 over 4 days; share × margin 0.5, so
    // the mean is 0.5 × 160 / 4 = 20.
    await importRows(tenant, site.id, [
      { date: '2026-03-01', revenue: 100 },
      { date: '2026-03-02', revenue: 40, conversions: 2 },
      { date: '2026-03-03', revenue: 0 },
      { date: '2026-04-10', revenue: 91 },
      { date: '2026-04-11', revenue: 0, conversions: 1 },
    ]);
    // March: 50 − 20 = 30, 30 − 20 = 10, 0 − 20 = −20 → 20. April: 45.5 − 20 = 25.5 → 26 and
    // 5 − 20 = −15 → 11.
    expect((await report(tenant, 'from=2026-03-01&to=2026-03-31')).totals.value).toBe(20);
    expect((await report(tenant, 'from=2026-04-01&to=2026-04-30')).totals.value).toBe(11);
    const days = await report(tenant, 'from=2026-04-10&to=2026-04-11&groupBy=day');
    expect(days.series.map((s: { value: number }) => s.value)).toEqual([26, -15]);
    // A later import of new baseline days recomputes what was credited under the old mean:
    // gross 160 + 80 = 240, mean 0.5 × 240 / 4 = 30.
    await importRows(tenant, site.id, [{ date: '2026-03-04', revenue: 80 }]);
    // April: 45.5 − 30 = 15.5 → 16 and 5 − 30 = −25.
    expect((await report(tenant, 'from=2026-04-01&to=2026-04-30')).totals.value).toBe(-9);
  });

  it('recomputes cached reports when the attribution changes', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    await importRows(tenant, site.id, [{ date: '2026-05-10', revenue: 1_000 }]);
    const url = 'from=2026-05-01&to=2026-05-31';
    expect((await report(tenant, url)).totals.value).toBe(1_000);
    expect((await report(tenant, url)).totals.value).toBe(1_000);
    await tenant.owner.client.patch(`/api/v1/sites/${site.id}`, {
      attribution: { grossMargin: 0.25 },
    });
    expect((await report(tenant, url)).totals.value).toBe(250);
  });
});

describe('coverage and comparisons', () => {
  it('compares with the previous period or the year before, each with its own coverage', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const other = await createSite(tenant);
    const rows = (from: number, to: number, month: string, revenue: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => ({
        date: `${month}-${String(from + i).padStart(2, '0')}`,
        revenue,
      }));
    await importRows(tenant, site.id, rows(1, 10, '2025-03', 10));
    await importRows(tenant, site.id, rows(1, 5, '2026-03', 20));
    // Another site's days count toward coverage once, whatever the sites.
    await importRows(tenant, other.id, [
      ...rows(4, 7, '2026-03', 1),
      ...rows(25, 28, '2026-02', 1),
    ]);
    // 3,100 a month, 100 a day in March.
    await createService(tenant, site.id, { amount: 3_100, startDate: '2025-01-01' });
    const year = await report(tenant, 'from=2026-03-01&to=2026-03-10&compare=year');
    expect(year.totals).toMatchObject({ value: 104, cost: 1_000, profit: -896 });
    expect(year.totals.coverage).toEqual({ days: 10, daysWithData: 7 });
    expect(year.comparison).toEqual({
      from: '2025-03-01',
      to: '2025-03-10',
      totals: {
        revenue: 100,
        value: 100,
        cost: 1_000,
        profit: -900,
        roi: -0.9,
        sessions: 0,
        conversions: 0,
        clicks: 0,
        impressions: 0,
        position: null,
        coverage: { days: 10, daysWithData: 10 },
      },
    });
    // Previous: the ten days before, 2026-02-19 … 02-28 (February: 3,100 / 28 = 110 r 20, so
    // the 19th and 20th carry 111 and the rest 110).
    const previous = await report(tenant, 'from=2026-03-01&to=2026-03-10&compare=previous');
    expect(previous.comparison.from).toBe('2026-02-19');
    expect(previous.comparison.to).toBe('2026-02-28');
    expect(previous.comparison.totals).toMatchObject({ value: 4, cost: 2 * 111 + 8 * 110 });
    expect(previous.comparison.totals.coverage).toEqual({ days: 10, daysWithData: 4 });
    // Only the first site: its own days.
    const one = await report(
      tenant,
      `from=2026-03-01&to=2026-03-10&compare=previous&siteId=${site.id}`,
    );
    expect(one.totals.coverage).toEqual({ days: 10, daysWithData: 5 });
    expect(one.comparison.totals.coverage).toEqual({ days: 10, daysWithData: 0 });
    // 29 February a year back is 28 February.
    const leap = await report(tenant, 'from=2024-02-29&to=2024-03-01&compare=year');
    expect([leap.comparison.from, leap.comparison.to]).toEqual(['2023-02-28', '2023-03-01']);
    // The comparison is part of the cache key.
    const none = await report(tenant, 'from=2026-03-01&to=2026-03-10');
    expect(none.comparison).toBeNull();
    expect(
      (await report(tenant, 'from=2026-03-01&to=2026-03-10&compare=year')).comparison.from,
    ).toBe('2025-03-01');
  });
});
