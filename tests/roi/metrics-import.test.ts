import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { auditActions, createSite } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

/** A date read straight from the database: PGlite returns a Date, PostgreSQL (our parser) a string. */
const dateString = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

const csv = (text: string) => ({ raw: text, contentType: 'text/csv' });

async function storedDays(tenantId: string, siteId: string) {
  const rows = await app.database.db
    .selectFrom('metrics_daily')
    .select(['day', 'sessions', 'conversions', 'revenue', 'clicks', 'impressions', 'position'])
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .orderBy('day')
    .execute();
  return rows.map((r) => ({
    ...r,
    day: dateString(r.day),
    position: r.position === null ? null : Number(r.position),
  }));
}

async function monthly(tenantId: string, siteId: string) {
  const rows = await app.database.db
    .selectFrom('metrics_monthly')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .orderBy('month')
    .execute();
  return rows.map((r) => ({
    month: dateString(r.month),
    sessions: Number(r.sessions),
    revenue: Number(r.revenue),
    impressions: Number(r.impressions),
    positionWeighted: Number(r.position_weighted),
    positionImpressions: Number(r.position_impressions),
  }));
}

describe('metric imports', () => {
  it('imports JSON rows and upserts by date, replacing only the named fields', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const first = await c.post(`/api/v1/sites/${site.id}/metrics`, {
      rows: [
        {
          date: '2026-01-30',
          sessions: 100,
          revenue: 12345,
          clicks: 10,
          impressions: 200,
          position: 4.5,
        },
        { date: '2026-01-31', sessions: 50 },
        { date: '2026-02-01', conversions: 3, revenue: null },
      ],
    });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ received: 3, inserted: 3, updated: 0 });
    const second = await c.post(`/api/v1/sites/${site.id}/metrics`, {
      rows: [
        { date: '2026-01-31', revenue: 999 },
        { date: '2026-02-02', sessions: 7 },
      ],
    });
    expect(second.body).toEqual({ received: 2, inserted: 1, updated: 1 });
    expect(await storedDays(tenant.id, site.id)).toEqual([
      {
        day: '2026-01-30',
        sessions: 100,
        conversions: null,
        revenue: 12345,
        clicks: 10,
        impressions: 200,
        position: 4.5,
      },
      {
        day: '2026-01-31',
        sessions: 50,
        conversions: null,
        revenue: 999,
        clicks: null,
        impressions: null,
        position: null,
      },
      {
        day: '2026-02-01',
        sessions: null,
        conversions: 3,
        revenue: null,
        clicks: null,
        impressions: null,
        position: null,
      },
      {
        day: '2026-02-02',
        sessions: 7,
        conversions: null,
        revenue: null,
        clicks: null,
        impressions: null,
        position: null,
      },
    ]);
    expect(await monthly(tenant.id, site.id)).toEqual([
      {
        month: '2026-01-01',
        sessions: 150,
        revenue: 13344,
        impressions: 200,
        positionWeighted: 900,
        positionImpressions: 200,
      },
      {
        month: '2026-02-01',
        sessions: 7,
        revenue: 0,
        impressions: 0,
        positionWeighted: 0,
        positionImpressions: 0,
      },
    ]);
    const listed = await c.get(`/api/v1/sites/${site.id}/metrics?from=2026-01-31&to=2026-02-01`);
    expect(listed.body.data.map((d: { date: string }) => d.date)).toEqual([
      '2026-01-31',
      '2026-02-01',
    ]);
    expect(
      (await auditActions(app, tenant.id)).filter((a) => a === 'metrics.imported'),
    ).toHaveLength(2);
  });

  it('keeps rollups whole when an import lands beside stored days of the same months', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const post = (rows: object[]) => c.post(`/api/v1/sites/${site.id}/metrics`, { rows });
    expect((await post([{ date: '2026-01-05', sessions: 5, revenue: 500 }])).body).toEqual({
      received: 1,
      inserted: 1,
      updated: 0,
    });
    // No stored day between 01-10 and 02-02, but January already holds 01-05 and the import's
    // months must be summed from every stored day.
    expect(
      (
        await post([
          { date: '2026-01-10', sessions: 10 },
          { date: '2026-02-02', sessions: 20, revenue: 7 },
        ])
      ).body,
    ).toEqual({ received: 2, inserted: 2, updated: 0 });
    // Stored days inside the range, one of them named again: counted as updated, the rest new.
    expect(
      (
        await post([
          { date: '2026-01-04', sessions: 4 },
          { date: '2026-01-10', sessions: 11 },
          { date: '2026-02-03', sessions: 30 },
        ])
      ).body,
    ).toEqual({ received: 3, inserted: 2, updated: 1 });
    expect((await storedDays(tenant.id, site.id)).map((d) => [d.day, d.sessions])).toEqual([
      ['2026-01-04', 4],
      ['2026-01-05', 5],
      ['2026-01-10', 11],
      ['2026-02-02', 20],
      ['2026-02-03', 30],
    ]);
    expect(
      (await monthly(tenant.id, site.id)).map((m) => [m.month, m.sessions, m.revenue]),
    ).toEqual([
      ['2026-01-01', 20, 500],
      ['2026-02-01', 50, 7],
    ]);
  });

  it('keeps rollups equal to the stored days under concurrent imports of one site', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const days = Array.from({ length: 59 }, (_, i) =>
      new Date(Date.UTC(2026, 0, 1) + i * 86_400_000).toISOString().slice(0, 10),
    );
    // Four imports of disjoint new days (the insert-and-add path, if they find the range empty)
    // and four of every third day across both months (the upsert-and-recount path), all at once:
    // the site's row lock must order them so that no rollup misses or double-counts a day.
    const batches = [
      ...[0, 1, 2, 3].map((k) => days.slice(k * 15, k * 15 + 15).map((date) => ({ date, k }))),
      ...[0, 1, 2, 3].map((k) =>
        days.filter((_, i) => i % 3 === k % 3).map((date) => ({ date, k: k + 4 })),
      ),
    ];
    const replies = await Promise.all(
      batches.map((batch) =>
        c.post(`/api/v1/sites/${site.id}/metrics`, {
          rows: batch.map(({ date, k }) => ({
            date,
            sessions: 10 + k,
            revenue: 100 * k,
            impressions: 5 + k,
            position: 1 + k / 4,
          })),
        }),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(batches.map(() => 200));
    expect(replies.reduce((n, r) => n + (r.body as { inserted: number }).inserted, 0)).toBe(59);
    const stored = await storedDays(tenant.id, site.id);
    expect(stored).toHaveLength(59);
    const expected = ['2026-01', '2026-02'].map((month) => {
      const inMonth = stored.filter((d) => d.day.startsWith(month));
      const sum = (f: (d: (typeof stored)[number]) => number) =>
        inMonth.reduce((a, d) => a + f(d), 0);
      return {
        month: `${month}-01`,
        sessions: sum((d) => d.sessions!),
        revenue: sum((d) => d.revenue!),
        impressions: sum((d) => d.impressions!),
        positionWeighted: sum((d) => d.position! * d.impressions!),
        positionImpressions: sum((d) => d.impressions!),
      };
    });
    expect(await monthly(tenant.id, site.id)).toEqual(expected);
  });

  it('imports CSV with decimal revenue converted exactly to cents', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const body = [
      'Date,Sessions,Conversions,Revenue,Clicks,Impressions,Position',
      '2026-03-01,10,1,0.1,5,100,3.25',
      '2026-03-02,20,2,0.29,,,',
      '2026-03-03,30,3,1234567.89,7,70,1',
      '2026-03-04,0,0,19.99,0,0,',
      '"2026-03-05",1,0,100,1,1,1.5',
      '',
    ].join('\r\n');
    const res = await tenant.owner.client.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(body),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ received: 5, inserted: 5, updated: 0 });
    const days = await storedDays(tenant.id, site.id);
    expect(days.map((d) => d.revenue)).toEqual([10, 29, 123456789, 1999, 10000]);
    expect(days[1]).toMatchObject({ clicks: null, impressions: null, position: null });
  });

  it('accepts a Google Search Console performance export as exported', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const gsc =
      '\uFEFFDate,Clicks,Impressions,CTR,Position\n2026-04-02,41,1207,3.4%,8.91\n2026-04-01,38,1100,3.45%,9.2\n';
    const res = await tenant.owner.client.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(gsc),
    );
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ received: 2, inserted: 2, updated: 0 });
    expect(await storedDays(tenant.id, site.id)).toEqual([
      {
        day: '2026-04-01',
        sessions: null,
        conversions: null,
        revenue: null,
        clicks: 38,
        impressions: 1100,
        position: 9.2,
      },
      {
        day: '2026-04-02',
        sessions: null,
        conversions: null,
        revenue: null,
        clicks: 41,
        impressions: 1207,
        position: 8.91,
      },
    ]);
  });

  it('accepts a GA4 export and a Looker Studio export as people download them', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const post = (body: string) =>
      tenant.owner.client.post(`/api/v1/sites/${site.id}/metrics`, undefined, csv(body));
    const ga4 = [
      '# ----------------------------------------',
      '# Traffic acquisition: Session primary channel group',
      '# Property: Bloom Florist - GA4',
      '# ----------------------------------------',
      '#',
      '# Start date: 20260105',
      '# End date: 20260106',
      'Date,Sessions,Key events,Total revenue',
      '20260105,"1,204",12.00,"$1,234.56"',
      '20260106,980,3,$0.10',
      '',
    ].join('\r\n');
    const first = await post(ga4);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ received: 2, inserted: 2, updated: 0 });
    // Looker Studio (Search Console source): month names, its own column names, CTR ignored.
    const looker =
      'Date,Url Clicks,Impressions,Site CTR,Average Position\n' +
      '"Jan 6, 2026",41,"1,207",3.4%,8.91\n"Jan 7, 2026",38,1100,3.45%,9.2\n';
    const second = await post(looker);
    expect(second.status, second.text).toBe(200);
    expect(second.body).toEqual({ received: 2, inserted: 1, updated: 1 });
    expect(await storedDays(tenant.id, site.id)).toEqual([
      {
        day: '2026-01-05',
        sessions: 1204,
        conversions: 12,
        revenue: 123456,
        clicks: null,
        impressions: null,
        position: null,
      },
      {
        day: '2026-01-06',
        sessions: 980,
        conversions: 3,
        revenue: 10,
        clicks: 41,
        impressions: 1207,
        position: 8.91,
      },
      {
        day: '2026-01-07',
        sessions: null,
        conversions: null,
        revenue: null,
        clicks: 38,
        impressions: 1100,
        position: 9.2,
      },
    ]);
    expect((await monthly(tenant.id, site.id))[0]).toMatchObject({
      month: '2026-01-01',
      sessions: 2184,
      revenue: 123466,
    });
  });

  it('refuses an amount in another currency, listing each bad cell by line and field, and writes nothing', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const res = await tenant.owner.client.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(
        [
          'Date,Total revenue,Sessions',
          '20260105,$10.00,1',
          '20260106,"1.234,56 €",2',
          '20260107,5.00,two',
          '2026-02-30,5.00,3',
        ].join('\n'),
      ),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        path: 'line 3.revenue',
        message: expect.stringMatching(
          /"1\.234,56 €" is not in USD.*never converted or relabelled/,
        ),
      },
      { path: 'line 4.sessions', message: '"two" must be a non-negative integer' },
      { path: 'line 5.date', message: expect.stringContaining('"2026-02-30" is not a date') },
    ]);
    expect(await storedDays(tenant.id, site.id)).toEqual([]);
    expect(await auditActions(app, tenant.id)).not.toContain('metrics.imported');
  });

  it('rejects the whole import listing every bad row, and writes nothing', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const json = await c.post(`/api/v1/sites/${site.id}/metrics`, {
      rows: [
        { date: '2026-01-01', sessions: 1 },
        { date: '2026-02-30', sessions: 1 },
        { date: '2026-01-03', sessions: -1, revenue: 1.5 },
        { date: '2026-01-04', sesions: 3 },
        { date: '2026-01-01', clicks: 1 },
      ],
    });
    expect(json.status).toBe(400);
    expect(json.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'rows.1.date',
      'rows.2.sessions',
      'rows.2.revenue',
      'rows.3.sesions',
      'rows.4.date',
    ]);
    const csvRes = await c.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(
        'date,sessions,revenue\n2026-01-01,1,1.00\n2026-01-02,x,1.00\n2026-01-03,1,1.001\n2026-01-04,1\n2026-01-05,2,2\n',
      ),
    );
    expect(csvRes.status).toBe(400);
    expect(csvRes.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'line 3.sessions',
      'line 4.revenue',
      'line 5',
    ]);
    expect(csvRes.body.errors[1].message).toBe('"1.001" has more than 2 decimals');
    const header = await c.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv('day_of,visits\n2026-01-01,1\n'),
    );
    expect(header.status).toBe(400);
    expect(header.body.errors[0].path).toBe('line 1');
    const malformed = await c.post(`/api/v1/sites/${site.id}/metrics`, undefined, {
      raw: '{"rows": [',
      contentType: 'application/json',
    });
    expect(malformed.status).toBe(400);
    const wrongType = await c.post(`/api/v1/sites/${site.id}/metrics`, undefined, {
      raw: 'x',
      contentType: 'application/xml',
    });
    expect(wrongType.status).toBe(415);
    expect(await storedDays(tenant.id, site.id)).toEqual([]);
    expect(await auditActions(app, tenant.id)).not.toContain('metrics.imported');
  });

  it('writes a long CSV in batches: a bad row near its end writes nothing, and rollups stay whole', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const start = Date.UTC(1940, 0, 1);
    const day = (i: number) => new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    // 25,000 rows: five batches of the writer (1,000, 2,000, 4,000, 8,000 and 10,000 rows).
    const lines = (bad?: number) => [
      'date,sessions,revenue',
      ...Array.from({ length: 25_000 }, (_, i) =>
        i === bad ? `${day(i)},-1,1` : `${day(i)},${i % 97},${i % 1000}.25`,
      ),
    ];
    const rejected = await c.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(lines(23_998).join('\n')),
    );
    expect(rejected.status).toBe(400);
    expect(rejected.body.errors.map((e: { path: string }) => e.path)).toEqual([
      'line 24000.sessions',
    ]);
    expect(await storedDays(tenant.id, site.id)).toEqual([]);
    expect(await monthly(tenant.id, site.id)).toEqual([]);

    // 12,000 days stored first: the first three batches update, the fourth updates and adds, the
    // last only adds.
    const first = await c.post(`/api/v1/sites/${site.id}/metrics`, {
      rows: Array.from({ length: 12_000 }, (_, i) => ({ date: day(i), sessions: 1, clicks: 2 })),
    });
    expect(first.status).toBe(200);
    const whole = await c.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(lines().join('\n')),
    );
    expect(whole.status, whole.text.slice(0, 300)).toBe(200);
    expect(whole.body).toEqual({ received: 25_000, inserted: 13_000, updated: 12_000 });
    const days = await storedDays(tenant.id, site.id);
    expect(days).toHaveLength(25_000);
    expect(days[11_999]).toMatchObject({ sessions: 11_999 % 97, revenue: 99_925, clicks: 2 });
    expect(days[12_000]).toMatchObject({ sessions: 12_000 % 97, revenue: 25, clicks: null });
    const recount = new Map<string, { sessions: number; revenue: number }>();
    for (const d of days) {
      const month = `${d.day.slice(0, 7)}-01`;
      const m = recount.get(month) ?? { sessions: 0, revenue: 0 };
      m.sessions += Number(d.sessions);
      m.revenue += Number(d.revenue);
      recount.set(month, m);
    }
    expect(
      (await monthly(tenant.id, site.id)).map((m) => [m.month, m.sessions, m.revenue]),
    ).toEqual([...recount].map(([month, m]) => [month, m.sessions, m.revenue]));
  }, 60_000);

  it('stops at a CSV row left open by a quote, on its line, and writes nothing', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const start = Date.UTC(1940, 0, 1);
    const day = (i: number) => new Date(start + i * 86_400_000).toISOString().slice(0, 10);
    // Three batches (7,000 rows) are written before the open quote is reached: they roll back.
    const rows = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `${day(from + i)},${i % 97},${i % 1000}.25`);
    const text = [
      'date,sessions,revenue',
      ...rows(0, 12_000),
      `${day(12_000)},"7,1.25`,
      ...rows(12_001, 20_000),
    ].join('\n');
    const res = await tenant.owner.client.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(text),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        path: 'line 12002',
        message:
          'the row does not end within 256 KiB: a quote left open, or line breaks that change within the file?',
      },
    ]);
    expect(await storedDays(tenant.id, site.id)).toEqual([]);
    expect(await monthly(tenant.id, site.id)).toEqual([]);
  }, 60_000);

  it('answers 413 beyond 100,000 rows or 10 MiB', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const lines = ['date,sessions'];
    const start = Date.UTC(1900, 0, 1);
    for (let i = 0; i <= 100_000; i++)
      lines.push(`${new Date(start + i * 86_400_000).toISOString().slice(0, 10)},1`);
    const tooMany = await c.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv(lines.join('\n')),
    );
    expect(tooMany.status, tooMany.text.slice(0, 300)).toBe(413);
    const rows = Array.from({ length: 100_001 }, () => ({ date: '2026-01-01' }));
    expect((await c.post(`/api/v1/sites/${site.id}/metrics`, { rows })).status).toBe(413);
    const huge = await c.post(
      `/api/v1/sites/${site.id}/metrics`,
      undefined,
      csv('date,sessions\n' + 'x'.repeat(10 * 1024 * 1024)),
    );
    expect(huge.status).toBe(413);
    expect(await storedDays(tenant.id, site.id)).toEqual([]);
  });

  it('imports exactly 100,000 rows in one request', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const start = Date.UTC(1900, 0, 1);
    const rows = Array.from({ length: 100_000 }, (_, i) => ({
      date: new Date(start + i * 86_400_000).toISOString().slice(0, 10),
      sessions: i % 100,
      revenue: i,
    }));
    const res = await tenant.owner.client.post(`/api/v1/sites/${site.id}/metrics`, { rows });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.body).toEqual({ received: 100_000, inserted: 100_000, updated: 0 });
    const sums = await monthly(tenant.id, site.id);
    expect(sums.reduce((a, m) => a + m.revenue, 0)).toBe((99_999 * 100_000) / 2);
  }, 120_000);

  it("refuses another tenant's site and a client, like a missing site", async () => {
    const a = await buildTenant(app);
    const b = await buildTenant(app);
    const site = await createSite(a);
    const res = await b.owner.client.post(`/api/v1/sites/${site.id}/metrics`, {
      rows: [{ date: '2026-01-01', sessions: 1 }],
    });
    expect(res.status).toBe(404);
    expect((await b.owner.client.get(`/api/v1/sites/${site.id}/metrics`)).status).toBe(404);
    const client = await addMember(app, a, 'client', [site.id]);
    expect((await client.client.get(`/api/v1/sites/${site.id}/metrics`)).status).toBe(200);
    expect(
      (await client.client.post(`/api/v1/sites/${site.id}/metrics`, { rows: [] })).status,
    ).toBe(403);
    expect(await storedDays(a.id, site.id)).toEqual([]);
  });
});
