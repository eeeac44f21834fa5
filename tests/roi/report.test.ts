import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, createApiKey } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createService, createSite, importRows, setPlan } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const figures = (f: Record<string, unknown>) => {
  const { key: _k, label: _l, ...rest } = f;
  return rest;
};

describe('ROI report', () => {
  it('attributes monthly, one-time and hourly costs and sums metrics per month', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    await createService(tenant, site.id, {
      billing: 'monthly',
      amount: 100_000,
      startDate: '2026-01-15',
    });
    await createService(tenant, site.id, {
      billing: 'one_time',
      amount: 50_000,
      startDate: '2026-02-10',
    });
    const hourly = await createService(tenant, site.id, {
      billing: 'hourly',
      amount: 6_001,
      startDate: '2026-01-01',
    });
    const c = tenant.owner.client;
    // 1.5 h × 60.01 = 90.015 → 90.02; 0.25 h × 60.01 = 15.0025 → 15.00
    expect(
      (
        await c.post(`/api/v1/services/${hourly.id}/time-entries`, {
          date: '2026-03-05',
          hours: 1.5,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await c.post(`/api/v1/services/${hourly.id}/time-entries`, {
          date: '2026-03-06',
          hours: 0.25,
        })
      ).status,
    ).toBe(201);
    await importRows(tenant, site.id, [
      {
        date: '2026-01-20',
        revenue: 300_000,
        sessions: 10,
        conversions: 1,
        clicks: 5,
        impressions: 100,
        position: 2,
      },
      { date: '2026-01-21', revenue: 100_000, sessions: 5, impressions: 300, position: 6 },
      { date: '2026-03-31', revenue: 20_000 },
    ]);
    const res = await c.get('/api/v1/reports/roi?from=2026-01-01&to=2026-04-30');
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      currency: 'USD',
      from: '2026-01-01',
      to: '2026-04-30',
      groupBy: 'month',
    });
    expect(res.body.series.map((s: { key: string; label: string }) => [s.key, s.label])).toEqual([
      ['2026-01', 'Jan 2026'],
      ['2026-02', 'Feb 2026'],
      ['2026-03', 'Mar 2026'],
      ['2026-04', 'Apr 2026'],
    ]);
    const [jan, feb, mar, apr] = res.body.series;
    // January from the 15th: 100,000 / 31 = 3,225 r 25, so days 1–25 carry 3,226 and 26–31
    // 3,225: the 15th–25th 11 × 3,226, the 26th–31st 6 × 3,225.
    expect(figures(jan)).toEqual({
      revenue: 400_000,
      value: 400_000,
      cost: 54_836,
      profit: 345_164,
      roi: 345_164 / 54_836,
      sessions: 15,
      conversions: 1,
      clicks: 5,
      impressions: 400,
      position: 5,
    });
    expect(figures(feb)).toMatchObject({
      revenue: 0,
      cost: 150_000,
      profit: -150_000,
      roi: -1,
      position: null,
    });
    expect(figures(mar)).toMatchObject({ revenue: 20_000, cost: 100_000 + 9_002 + 1_500 });
    expect(figures(apr)).toMatchObject({ cost: 100_000 });
    expect(res.body.totals).toMatchObject({
      revenue: 420_000,
      cost: 415_338,
      profit: 4_662,
      impressions: 400,
      position: 5,
    });
    expect(res.body.totals.roi).toBeCloseTo(4_662 / 415_338, 12);
  });

  it('zero-fills every day, ISO week and site, with roi null when cost is 0', async () => {
    const tenant = await buildTenant(app);
    const a = await createSite(tenant, { name: 'Alpha' });
    const b = await createSite(tenant, { name: 'Beta' });
    await importRows(tenant, a.id, [
      { date: '2025-12-31', revenue: 5 },
      { date: '2026-01-02', revenue: 7 },
    ]);
    const c = tenant.owner.client;
    const days = await c.get('/api/v1/reports/roi?from=2025-12-29&to=2026-01-12&groupBy=day');
    expect(days.body.series).toHaveLength(15);
    expect(days.body.series[0]).toMatchObject({
      key: '2025-12-29',
      revenue: 0,
      cost: 0,
      profit: 0,
      roi: null,
      position: null,
    });
    expect(days.body.series[2]).toMatchObject({ key: '2025-12-31', revenue: 5 });
    const weeks = await c.get('/api/v1/reports/roi?from=2025-12-29&to=2026-01-12&groupBy=week');
    expect(weeks.body.series.map((s: { key: string }) => s.key)).toEqual([
      '2026-W01',
      '2026-W02',
      '2026-W03',
    ]);
    expect(weeks.body.series.map((s: { revenue: number }) => s.revenue)).toEqual([12, 0, 0]);
    expect(weeks.body.series[0].label).toBe('2025-12-29 – 2026-01-04');
    const sites = await c.get('/api/v1/reports/roi?from=2025-12-01&to=2026-01-31&groupBy=site');
    expect(
      sites.body.series.map((s: { key: string; label: string; revenue: number }) => [
        s.key,
        s.label,
        s.revenue,
      ]),
    ).toEqual([
      [a.id, 'Alpha', 12],
      [b.id, 'Beta', 0],
    ]);
    const one = await c.get(
      `/api/v1/reports/roi?from=2025-12-01&to=2026-01-31&groupBy=site&siteId=${b.id}`,
    );
    expect(one.body.series.map((s: { key: string }) => s.key)).toEqual([b.id]);
    const both = await c.get(
      `/api/v1/reports/roi?from=2025-12-01&to=2026-01-31&siteId=${a.id}&siteId=${b.id}`,
    );
    expect(both.body.totals.revenue).toBe(12);
  });

  it('defaults to the last 365 days by month and validates the query', async () => {
    const tenant = await buildTenant(app);
    const c = tenant.owner.client;
    const res = await c.get('/api/v1/reports/roi');
    expect(res.status, res.text).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body.to).toBe(today);
    expect(res.body.from).toBe(
      new Date(Date.parse(`${today}T00:00:00Z`) - 364 * 86_400_000).toISOString().slice(0, 10),
    );
    expect(res.body.groupBy).toBe('month');
    expect(res.body.series.length).toBeGreaterThanOrEqual(12);
    expect(res.body.totals).toEqual({
      revenue: 0,
      value: 0,
      cost: 0,
      profit: 0,
      roi: null,
      sessions: 0,
      conversions: 0,
      clicks: 0,
      impressions: 0,
      position: null,
      coverage: { days: 365, daysWithData: 0 },
    });
    expect(res.body.comparison).toBeNull();
    for (const q of [
      'from=2026-02-01&to=2026-01-01',
      'groupBy=year',
      'compare=month',
      'compare=',
      'from=2026-02-30',
      'siteId=nope',
      'from=2000-01-01&to=2026-01-01',
    ]) {
      const bad = await c.get(`/api/v1/reports/roi?${q}`);
      expect(bad.status, q).toBe(400);
    }
  });

  it('answers CSV with Accept: text/csv or format=csv, money in decimal units', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant, { name: 'Shop, "main"' });
    await createService(tenant, site.id, {
      billing: 'one_time',
      amount: 1_050,
      startDate: '2026-01-03',
    });
    await importRows(tenant, site.id, [
      { date: '2026-01-05', revenue: 123_456, impressions: 10, position: 3 },
    ]);
    const c = tenant.owner.client;
    const byAccept = await c.get('/api/v1/reports/roi?from=2026-01-01&to=2026-02-28', {
      headers: { accept: 'text/csv' },
    });
    expect(byAccept.status).toBe(200);
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(byAccept.text.split('\r\n')).toEqual([
      'key,label,currency,revenue,value,cost,profit,roi,roi_percent,sessions,conversions,clicks,impressions,position',
      '2026-01,Jan 2026,USD,1234.56,1234.56,10.50,1224.06,116.577143,11657.7%,0,0,0,10,3',
      '2026-02,Feb 2026,USD,0.00,0.00,0.00,0.00,,—,0,0,0,0,',
      'total,Total,USD,1234.56,1234.56,10.50,1224.06,116.577143,11657.7%,0,0,0,10,3',
      '',
      'site_id,site,revenue_share,conversion_value,gross_margin,baseline_from,baseline_to',
      `${site.id},"Shop, ""main""",1,0.00,1,,`,
      '',
    ]);
    const byFormat = await c.get(
      '/api/v1/reports/roi?from=2026-01-01&to=2026-02-28&groupBy=site&format=csv',
    );
    expect(byFormat.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(byFormat.text.split('\r\n')[1]).toBe(
      `${site.id},"Shop, ""main""",USD,1234.56,1234.56,10.50,1224.06,116.577143,11657.7%,0,0,0,10,3`,
    );
    // With attribution and a comparison: value, the settings used and the earlier totals. The
    // JSON report is cached first: CSV is never answered from the cache.
    const patched = await c.patch(`/api/v1/sites/${site.id}`, {
      attribution: {
        revenueShare: 0.25,
        conversionValue: 1_999,
        grossMargin: 0.5,
        baseline: { from: '2025-12-01', to: '2025-12-31' },
      },
    });
    expect(patched.status, patched.text).toBe(200);
    const url = '/api/v1/reports/roi?from=2026-01-01&to=2026-01-31&compare=previous';
    expect((await c.get(url)).body.totals.value).toBe(15_432); // 123,456 / 8 = 15,432
    const withAttribution = await c.get(`${url}&format=csv`);
    expect(withAttribution.text.split('\r\n')).toEqual([
      'key,label,currency,revenue,value,cost,profit,roi,roi_percent,sessions,conversions,clicks,impressions,position',
      // (154.32 − 10.50) / 10.50 = 13.697142… → 1369.7 %
      '2026-01,Jan 2026,USD,1234.56,154.32,10.50,143.82,13.697143,1369.7%,0,0,0,10,3',
      'total,Total,USD,1234.56,154.32,10.50,143.82,13.697143,1369.7%,0,0,0,10,3',
      'comparison,2025-12-01 – 2025-12-31,USD,0.00,0.00,0.00,0.00,,—,0,0,0,0,',
      '',
      'site_id,site,revenue_share,conversion_value,gross_margin,baseline_from,baseline_to',
      `${site.id},"Shop, ""main""",0.25,19.99,0.5,2025-12-01,2025-12-31`,
      '',
    ]);
  });

  it('is cached per tenant and query, and recomputed after any import or service change', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const url = '/api/v1/reports/roi?from=2026-01-01&to=2026-01-31';
    expect((await c.get(url)).body.totals.revenue).toBe(0);
    await importRows(tenant, site.id, [{ date: '2026-01-10', revenue: 500 }]);
    expect((await c.get(url)).body.totals.revenue).toBe(500);
    const svc = await createService(tenant, site.id, {
      billing: 'one_time',
      amount: 100,
      startDate: '2026-01-02',
    });
    expect((await c.get(url)).body.totals.cost).toBe(100);
    expect((await c.patch(`/api/v1/services/${svc.id}`, { amount: 250 })).status).toBe(200);
    expect((await c.get(url)).body.totals.cost).toBe(250);
    expect((await c.delete(`/api/v1/services/${svc.id}`)).status).toBe(204);
    expect((await c.get(url)).body.totals.cost).toBe(0);
    const renamed = await c.patch(`/api/v1/sites/${site.id}`, { name: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect((await c.get(`${url}&groupBy=site`)).body.series[0].label).toBe('Renamed');
    // A write straight to the database (no API call) is not seen until something invalidates:
    // proof that the second read came from the cache.
    expect((await c.get(url)).body.totals.revenue).toBe(500);
    await app.database.db
      .updateTable('metrics_monthly')
      .set({ revenue: 999_999 })
      .where('tenant_id', '=', tenant.id)
      .execute();
    const cached = await c.get(url);
    expect(cached.body.totals.revenue).toBe(500);
    // The cached bytes carry an ETag: a client that has them gets a 304 without a body.
    const etag = cached.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    // (fetch would add `Cache-Control: no-cache`, which asks the server to send the whole body.)
    const again = await c.get(url, {
      headers: { 'if-none-match': etag!, 'cache-control': 'max-age=0' },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const other = { 'if-none-match': '"other"', 'cache-control': 'max-age=0' };
    expect((await c.get(url, { headers: other })).status).toBe(200);
    // HEAD: the same headers (the length of the body in the coding fetch accepts), no body.
    const head = await c.request('HEAD', url);
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(head.headers.get('content-encoding')).toBe(cached.headers.get('content-encoding'));
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(head.headers.get('content-length')).toBe(cached.headers.get('content-length'));
    expect(head.text).toBe('');
  });

  it.runIf(Boolean(process.env.REDIS_URL))(
    'invalidates the cache across processes (Redis)',
    async () => {
      const prefix = `shared-${Date.now()}`;
      const one = await startTestApp({ env: { REDIS_PREFIX: prefix }, worker: false });
      const two = await startTestApp({ env: { REDIS_PREFIX: prefix }, worker: false });
      try {
        const tenant = await buildTenant(one);
        const site = await createSite(tenant);
        const url = '/api/v1/reports/roi?from=2026-01-01&to=2026-01-31';
        const reader = two.client();
        reader.cookies.set('sid', tenant.owner.client.cookies.get('sid')!);
        reader.tenant = tenant.id;
        // Twice: the second read is answered from process two's own copy.
        for (let i = 0; i < 2; i++) expect((await reader.get(url)).body.totals.revenue).toBe(0);
        await importRows(tenant, site.id, [{ date: '2026-01-10', revenue: 700 }]);
        expect((await reader.get(url)).body.totals.revenue).toBe(700);
        await createService(tenant, site.id, {
          billing: 'one_time',
          amount: 50,
          startDate: '2026-01-05',
        });
        expect((await reader.get(url)).body.totals.cost).toBe(50);
      } finally {
        await one.close();
        await two.close();
      }
    },
  );

  it('shows a client only their granted sites; other sites and tenants are 404', async () => {
    const tenant = await buildTenant(app);
    const other = await buildTenant(app);
    const granted = await createSite(tenant);
    const hidden = await createSite(tenant);
    const foreign = await createSite(other);
    await importRows(tenant, granted.id, [{ date: '2026-01-10', revenue: 100 }]);
    await importRows(tenant, hidden.id, [{ date: '2026-01-10', revenue: 10_000 }]);
    const client = await addMember(app, tenant, 'client', [granted.id]);
    const url = '/api/v1/reports/roi?from=2026-01-01&to=2026-01-31';
    const staffReport = await tenant.owner.client.get(url);
    expect(staffReport.body.totals.revenue).toBe(10_100);
    const clientReport = await client.client.get(url);
    expect(clientReport.body.totals.revenue).toBe(100);
    const bySite = await client.client.get(`${url}&groupBy=site`);
    expect(bySite.body.series.map((s: { key: string }) => s.key)).toEqual([granted.id]);
    const ungranted = await client.client.get(`${url}&siteId=${hidden.id}`);
    const missing = await client.client.get(`${url}&siteId=00000000-0000-4000-8000-000000000000`);
    expect(ungranted.status).toBe(404);
    expect({ ...ungranted.body, instance: undefined }).toEqual({
      ...missing.body,
      instance: undefined,
    });
    expect((await tenant.owner.client.get(`${url}&siteId=${foreign.id}`)).status).toBe(404);
    // A client-role API key has no grants: an empty report.
    const key = await createApiKey(tenant, 'client');
    const byKey = await app.client().get(url, { apiKey: key });
    expect(byKey.body.totals.revenue).toBe(0);
  });

  it('reads monthly rollups for whole months and daily rows at partial edges', async () => {
    const tenant = await buildTenant(app);
    await setPlan(app, tenant, 'pro');
    const site = await createSite(tenant);
    const rows = [];
    for (let t = Date.UTC(2025, 0, 1); t <= Date.UTC(2026, 11, 31); t += 86_400_000) {
      rows.push({ date: new Date(t).toISOString().slice(0, 10), revenue: 1, sessions: 2 });
    }
    await importRows(tenant, site.id, rows);
    const res = await tenant.owner.client.get('/api/v1/reports/roi?from=2025-03-17&to=2026-02-10');
    const expected = (Date.UTC(2026, 1, 10) - Date.UTC(2025, 2, 17)) / 86_400_000 + 1;
    expect(res.body.totals.revenue).toBe(expected);
    expect(res.body.series[0]).toMatchObject({ key: '2025-03', revenue: 15 });
    expect(res.body.series.at(-1)).toMatchObject({ key: '2026-02', revenue: 10 });
    const bySite = await tenant.owner.client.get(
      '/api/v1/reports/roi?from=2025-03-17&to=2026-02-10&groupBy=site',
    );
    expect(bySite.body.series[0].sessions).toBe(2 * expected);
  });
});
