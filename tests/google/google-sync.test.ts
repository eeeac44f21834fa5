import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { queueSync } from '../../src/server/domain/google/site-sources.ts';
import { decimalToMinor, runSiteSync } from '../../src/server/domain/google/sync-site.ts';
import { addDays, todayIn } from '../../src/server/domain/reports/periods.ts';
import { DEMO_ACCOUNT } from '../../src/server/sandbox/google/fake-google.ts';
import {
  GOOGLE_DAILY_SYNC_SCHEDULER,
  GOOGLE_SYNC_SCHEDULE_QUEUE,
} from '../../src/server/worker/google-sync.ts';
import {
  addMember,
  buildTenant,
  eventually,
  setPlan,
  type TestTenant,
} from '../support/factories.ts';
import {
  connectedIntegration,
  startGoogleServer,
  type GoogleTestServer,
} from '../support/google-server.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const SC = 'https://www.example.com/';
const GA = '310000001';

let google: GoogleTestServer;
let app: TestApp;
beforeAll(async () => {
  google = await startGoogleServer();
  // The daily-sync scheduler fires every half second here (a day's wait is what the test fakes).
  app = await startTestApp({ env: { ...google.env, GOOGLE_SYNC_SWEEP_MS: '500' } });
});
afterAll(async () => {
  await app.close();
  await google.close();
});

async function linkedSite(tenant: TestTenant, body: Record<string, unknown> = {}) {
  const integrationId = await connectedIntegration(tenant);
  const site = await tenant.owner.client.post('/api/v1/sites', {
    name: 'Shop',
    domain: 'www.example.com',
  });
  expect(site.status).toBe(201);
  const res = await tenant.owner.client.put(`/api/v1/sites/${site.body.id}/sources`, {
    integrationId,
    searchConsoleProperty: SC,
    analyticsPropertyId: GA,
    ...body,
  });
  expect(res.status, res.text).toBe(200);
  return { siteId: site.body.id as string, integrationId };
}

async function syncAndWait(tenant: TestTenant, siteId: string, from: string, to: string) {
  const res = await tenant.owner.client.post(`/api/v1/sites/${siteId}/sync`, { from, to });
  expect(res.status, res.text).toBe(202);
  return eventually(async () => {
    const s = await tenant.owner.client.get(`/api/v1/sites/${siteId}/sync`);
    return s.body.status === 'idle' || s.body.status === 'failed' ? s.body : null;
  }, 30_000);
}

/** What Search Console's term rows add up to for [from, to], ordered as the API orders them. */
function expectedTerms(from: string, to: string, dimension: 'query' | 'page', limit = 100) {
  const agg = new Map<string, { clicks: number; impressions: number; weighted: number }>();
  for (let day = from; day <= to; day = addDays(day, 1)) {
    for (let i = 0; i < google.fake.termsPerDay; i++) {
      const key = google.fake.termKey(SC, dimension, i);
      const t = google.fake.termDay(SC, day, 'query', i);
      const a = agg.get(key) ?? { clicks: 0, impressions: 0, weighted: 0 };
      a.clicks += t.clicks;
      a.impressions += t.impressions;
      a.weighted += t.position * t.impressions;
      agg.set(key, a);
    }
  }
  return [...agg.entries()]
    .sort(
      ([ka, a], [kb, b]) =>
        b.clicks - a.clicks || b.impressions - a.impressions || (ka < kb ? -1 : 1),
    )
    .slice(0, limit)
    .map(([key, a]) => ({
      key,
      clicks: a.clicks,
      impressions: a.impressions,
      ctr: Math.round((a.clicks / a.impressions) * 10_000) / 10_000,
      position: Math.round((a.weighted / a.impressions) * 100) / 100,
    }));
}

describe('site sources', () => {
  it('links a site, refuses a GA4 property in another currency (409) and a property the account cannot read (400)', async () => {
    const tenant = await buildTenant(app);
    const integrationId = await connectedIntegration(tenant);
    const site = await tenant.owner.client.post('/api/v1/sites', {
      name: 'S',
      domain: 's.example.com',
    });
    const path = `/api/v1/sites/${site.body.id}/sources`;
    expect((await tenant.owner.client.get(path)).status).toBe(404);

    const euro = await tenant.owner.client.put(path, {
      integrationId,
      analyticsPropertyId: '310000003',
    });
    expect(euro.status, euro.text).toBe(409);
    expect(euro.body.detail).toMatch(/EUR/);
    const foreign = await tenant.owner.client.put(path, {
      integrationId,
      searchConsoleProperty: 'https://not-mine.example/',
    });
    expect(foreign.status).toBe(400);
    const unknown = await tenant.owner.client.put(path, {
      integrationId: '00000000-0000-4000-8000-000000000000',
      searchConsoleProperty: SC,
    });
    expect(unknown.status).toBe(400);
    expect((await tenant.owner.client.put(path, { integrationId })).status).toBe(400);
    expect((await tenant.owner.client.get(path)).status).toBe(404);

    const ok = await tenant.owner.client.put(path, {
      integrationId,
      searchConsoleProperty: SC,
      analyticsPropertyId: GA,
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toMatchObject({
      siteId: site.body.id,
      integrationId,
      searchConsoleProperty: SC,
      analyticsPropertyId: GA,
      organicOnly: true,
    });
    expect((await tenant.owner.client.get(path)).body).toEqual(ok.body);

    const other = await buildTenant(app, 'Other');
    expect((await other.owner.client.get(path)).status).toBe(404);
    expect((await other.owner.client.get(`/api/v1/sites/${site.body.id}/sync`)).status).toBe(404);
    expect(
      (await other.owner.client.get(`/api/v1/sites/${site.body.id}/search-terms`)).status,
    ).toBe(404);
    expect((await other.owner.client.post(`/api/v1/sites/${site.body.id}/sync`, {})).status).toBe(
      404,
    );

    expect((await tenant.owner.client.delete(path)).status).toBe(204);
    expect((await tenant.owner.client.get(path)).status).toBe(404);
    expect((await tenant.owner.client.post(`/api/v1/sites/${site.body.id}/sync`, {})).status).toBe(
      409,
    );
  });
});

describe('syncing a site', () => {
  it('backfills totals, GA4 days and search terms with progress; a second sync doubles nothing', async () => {
    const tenant = await buildTenant(app);
    const { siteId } = await linkedSite(tenant);
    const from = '2026-01-25';
    const to = '2026-03-05';
    // A report read before the sync is cached; the sync's metrics writer drops it.
    const before = await tenant.owner.client.get(
      `/api/v1/reports/roi?from=2026-02-01&to=2026-02-28&siteId=${siteId}`,
    );
    expect(before.status, before.text).toBe(200);
    expect(before.body.totals.clicks).toBe(0);
    const state = await syncAndWait(tenant, siteId, from, to);
    expect(state).toMatchObject({
      status: 'idle',
      progress: { done: 40, total: 40 },
      syncedThrough: to,
      lastError: null,
    });
    expect(state.lastSyncedAt).toEqual(expect.any(String));

    const metrics = await tenant.owner.client.get(
      `/api/v1/sites/${siteId}/metrics?from=${from}&to=${to}&limit=200`,
    );
    expect(metrics.body.data).toHaveLength(40);
    for (const m of metrics.body.data) {
      const sc = google.fake.siteDay(SC, m.date);
      const ga = google.fake.analyticsDay(GA, m.date, true);
      expect(m).toMatchObject({
        clicks: sc.clicks,
        impressions: sc.impressions,
        position: sc.position,
        sessions: ga.sessions,
        conversions: Math.round(ga.keyEvents),
        revenue: decimalToMinor(ga.revenue, 2),
      });
    }
    // Monthly rollups agree with the days.
    const roi = await tenant.owner.client.get(
      `/api/v1/reports/roi?from=2026-02-01&to=2026-02-28&siteId=${siteId}`,
    );
    const febClicks = metrics.body.data
      .filter((m: { date: string }) => m.date.startsWith('2026-02'))
      .reduce((s: number, m: { clicks: number }) => s + m.clicks, 0);
    expect(roi.body.totals.clicks).toBe(febClicks);

    // Whole months, edge days and both together read the same as a sum over the days.
    for (const [a, b] of [
      ['2026-02-01', '2026-02-28'],
      ['2026-01-28', '2026-03-03'],
      ['2026-02-10', '2026-02-12'],
    ] as const) {
      const res = await tenant.owner.client.get(
        `/api/v1/sites/${siteId}/search-terms?from=${a}&to=${b}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual(expectedTerms(a, b, 'query'));
    }
    const pages = await tenant.owner.client.get(
      `/api/v1/sites/${siteId}/search-terms?from=${from}&to=${to}&dimension=page&limit=3`,
    );
    expect(pages.body.data).toEqual(expectedTerms(from, to, 'page', 3));
    // Totals come from the ["date"] query: more than the term rows (anonymised queries).
    const termClicks = expectedTerms(from, to, 'query').reduce((s, t) => s + t.clicks, 0);
    const siteClicks = metrics.body.data.reduce(
      (s: number, m: { clicks: number }) => s + m.clicks,
      0,
    );
    expect(siteClicks).toBeGreaterThan(termClicks);

    const rows = async () =>
      (
        await sql<{
          n: number;
        }>`SELECT count(*)::int AS n FROM search_terms_daily WHERE tenant_id = ${tenant.id} AND site_id = ${siteId}`.execute(
          app.database.db,
        )
      ).rows[0]!.n;
    expect(await rows()).toBe(40 * google.fake.termsPerDay * 2);
    // Key ids are computed by the app; they are the MD5 prefix the database would compute.
    const ids = await sql<{ n: number; wrong: number }>`
      SELECT count(*)::int AS n,
             count(*) FILTER (WHERE id <> ('x' || left(md5(key), 16))::bit(64)::bigint)::int AS wrong
      FROM search_term_keys WHERE tenant_id = ${tenant.id} AND site_id = ${siteId}`.execute(
      app.database.db,
    );
    expect(ids.rows[0]).toEqual({ n: google.fake.termsPerDay * 2, wrong: 0 });
    await syncAndWait(tenant, siteId, '2026-02-20', to);
    expect(await rows()).toBe(40 * google.fake.termsPerDay * 2);
    const again = await tenant.owner.client.get(
      `/api/v1/sites/${siteId}/metrics?from=${from}&to=${to}&limit=200`,
    );
    expect(again.body.data).toEqual(metrics.body.data);
    const audit = await tenant.owner.client.get('/api/v1/audit-logs?action=site.synced');
    expect(audit.body.data).toHaveLength(2);
  });

  it('defaults: the 28 days ending yesterday, queries, 100 rows', async () => {
    const tenant = await buildTenant(app);
    const site = await tenant.owner.client.post('/api/v1/sites', {
      name: 'S',
      domain: 's.example.com',
    });
    const res = await tenant.owner.client.get(`/api/v1/sites/${site.body.id}/search-terms`);
    expect(res.status).toBe(200);
    const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
    expect(res.body).toEqual({
      from: addDays(yesterday, -27),
      to: yesterday,
      dimension: 'query',
      data: [],
    });
    expect(
      (await tenant.owner.client.get(`/api/v1/sites/${site.body.id}/search-terms?limit=1001`))
        .status,
    ).toBe(400);
    expect(
      (await tenant.owner.client.get(`/api/v1/sites/${site.body.id}/search-terms?dimension=device`))
        .status,
    ).toBe(400);
  });

  it('pages Search Console to the end and GA4 by offset', async () => {
    const tenant = await buildTenant(app);
    const { siteId } = await linkedSite(tenant, { analyticsPropertyId: null });
    const saved = google.fake.termsPerDay;
    google.fake.termsPerDay = 850;
    try {
      const before = google.fake.log.length;
      const state = await syncAndWait(tenant, siteId, '2026-01-01', '2026-01-31');
      expect(state.status).toBe('idle');
      const queries = google.fake.log
        .slice(before)
        .filter((r) => r.path.endsWith('/searchAnalytics/query'))
        .map((r) => r.body as { dimensions: string[]; startRow: number; rowLimit: number });
      const byQuery = queries.filter((q) => q.dimensions.join() === 'date,query');
      expect(byQuery.map((q) => q.startRow)).toEqual([0, 25_000]);
      expect(byQuery.every((q) => q.rowLimit === 25_000)).toBe(true);
      const n = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM search_terms_daily
        WHERE tenant_id = ${tenant.id} AND site_id = ${siteId} AND dimension = 1`.execute(
        app.database.db,
      );
      expect(n.rows[0]!.n).toBe(31 * 850);
    } finally {
      google.fake.termsPerDay = saved;
    }
  });

  it('retries 429 after Retry-After and 5xx with backoff, refreshes once on 401', async () => {
    const tenant = await buildTenant(app);
    const { siteId } = await linkedSite(tenant);
    const before = google.fake.log.length;
    google.fake.faults.push(
      { match: /searchAnalytics\/query$/, status: 429, retryAfter: '1' },
      { match: /:runReport$/, status: 503 },
      {
        match: /searchAnalytics\/query$/,
        status: 401,
        body: { error: { code: 401, message: 'expired', status: 'UNAUTHENTICATED' } },
      },
    );
    const state = await syncAndWait(tenant, siteId, '2026-02-01', '2026-02-03');
    expect(state.status).toBe('idle');
    const log = google.fake.log.slice(before);
    const sc = log.filter((r) => r.path.endsWith('/searchAnalytics/query'));
    // The 429'd request and its retry: at least Retry-After apart.
    expect(sc[1]!.at - sc[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(log.filter((r) => r.path.endsWith(':runReport')).length).toBe(2);
    const refreshes = log.filter(
      (r) =>
        r.path === '/token' && (r.body as Record<string, string>).grant_type === 'refresh_token',
    );
    expect(refreshes.length).toBe(2);
    expect(google.fake.faults).toEqual([]);
  });

  it('invalid_grant breaks the connection, fails its syncs, audits it and stops calling Google until reconnected', async () => {
    const tenant = await buildTenant(app);
    const { siteId, integrationId } = await linkedSite(tenant);
    google.fake.failRefresh.add(DEMO_ACCOUNT.sub);
    try {
      const state = await syncAndWait(tenant, siteId, '2026-02-01', '2026-02-03');
      expect(state.status).toBe('failed');
      expect(state.lastError).toMatch(/reconnect/);
      const list = await tenant.owner.client.get('/api/v1/integrations');
      expect(list.body.data[0]).toMatchObject({
        id: integrationId,
        status: 'broken',
        lastError: expect.stringMatching(/reconnect/),
      });
      const audit = await tenant.owner.client.get('/api/v1/audit-logs?action=integration.broken');
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0].actor.type).toBe('system');

      const calls = google.fake.log.length;
      expect((await tenant.owner.client.post(`/api/v1/sites/${siteId}/sync`, {})).status).toBe(409);
      expect(
        (await tenant.owner.client.get(`/api/v1/integrations/${integrationId}/properties`)).status,
      ).toBe(409);
      expect(
        (
          await tenant.owner.client.put(`/api/v1/sites/${siteId}/sources`, {
            integrationId,
            searchConsoleProperty: SC,
          })
        ).status,
      ).toBe(409);
      expect(google.fake.log.length).toBe(calls);
    } finally {
      google.fake.failRefresh.delete(DEMO_ACCOUNT.sub);
    }
    expect(await connectedIntegration(tenant)).toBe(integrationId);
    const list = await tenant.owner.client.get('/api/v1/integrations');
    expect(list.body.data[0]).toMatchObject({ status: 'active', lastError: null });
    expect((await syncAndWait(tenant, siteId, '2026-02-01', '2026-02-03')).status).toBe('idle');
  });

  it('a client member reads only the sync state and search terms of granted sites, and cannot change them', async () => {
    const tenant = await buildTenant(app);
    await setPlan(app, tenant, 'starter');
    const { siteId } = await linkedSite(tenant);
    const hidden = await tenant.owner.client.post('/api/v1/sites', {
      name: 'H',
      domain: 'h.example.com',
    });
    const client = await addMember(app, tenant, 'client', [siteId]);
    expect((await client.client.get(`/api/v1/sites/${siteId}/sync`)).status).toBe(200);
    expect((await client.client.get(`/api/v1/sites/${siteId}/sources`)).status).toBe(200);
    expect((await client.client.get(`/api/v1/sites/${siteId}/search-terms`)).status).toBe(200);
    expect((await client.client.get(`/api/v1/sites/${hidden.body.id}/sync`)).status).toBe(404);
    expect((await client.client.get(`/api/v1/sites/${hidden.body.id}/search-terms`)).status).toBe(
      404,
    );
    expect((await client.client.get(`/api/v1/sites/${hidden.body.id}/sources`)).status).toBe(404);
    expect((await client.client.post(`/api/v1/sites/${siteId}/sync`, {})).status).toBe(403);
    expect((await client.client.delete(`/api/v1/sites/${siteId}/sources`)).status).toBe(403);
  });

  it('the job scheduler fires the daily sync of a site a day after its last: the days since plus 4 before', async () => {
    const schedulers = await app.services.queue.schedulers(GOOGLE_SYNC_SCHEDULE_QUEUE);
    expect(schedulers).toEqual([
      expect.objectContaining({ id: GOOGLE_DAILY_SYNC_SCHEDULER, everyMs: 500 }),
    ]);
    const tenant = await buildTenant(app);
    const { siteId } = await linkedSite(tenant);
    const tz = await sql<{ timezone: string }>`
      SELECT timezone FROM tenants WHERE id = ${tenant.id}`.execute(app.database.db);
    const yesterday = addDays(todayIn(tz.rows[0]!.timezone), -1);
    const lastDay = addDays(yesterday, -6);
    // As if the site was linked and last synced (through `lastDay`) two days ago.
    await sql`UPDATE site_sources SET created_at = now() - interval '2 days'
      WHERE tenant_id = ${tenant.id} AND site_id = ${siteId}`.execute(app.database.db);
    await sql`
      INSERT INTO site_syncs (tenant_id, site_id, status, synced_through, last_synced_at, requested_at)
      VALUES (${tenant.id}, ${siteId}, 'idle', ${lastDay}::date, now() - interval '2 days',
              now() - interval '2 days')
      ON CONFLICT (tenant_id, site_id) DO UPDATE SET status = 'idle',
        synced_through = excluded.synced_through, last_synced_at = excluded.last_synced_at,
        requested_at = excluded.requested_at`.execute(app.database.db);
    const state = await eventually(async () => {
      const s = await tenant.owner.client.get(`/api/v1/sites/${siteId}/sync`);
      return s.body.status === 'idle' && s.body.syncedThrough === yesterday ? s.body : null;
    }, 30_000);
    expect(state).toMatchObject({ progress: { done: 11, total: 11 }, lastError: null });
    expect(Date.parse(state.lastSyncedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Read from Google a calendar month at a time: from 4 days before the last synced day.
    const asked = google.fake
      .requests(/searchAnalytics\/query$/)
      .map((r) => r.body as { startDate: string; endDate: string })
      .filter((b) => b.startDate >= addDays(lastDay, -4));
    expect(asked.map((b) => b.startDate).sort()[0]).toBe(addDays(lastDay, -4));
    expect(
      asked
        .map((b) => b.endDate)
        .sort()
        .at(-1),
    ).toBe(yesterday);
    const metrics = await tenant.owner.client.get(
      `/api/v1/sites/${siteId}/metrics?from=${addDays(lastDay, -4)}&to=${yesterday}`,
    );
    expect(metrics.body.data).toHaveLength(11);
    // Synced now: not due again for a day, whatever the scheduler does meanwhile.
    const audit = await tenant.owner.client.get('/api/v1/audit-logs?action=site.synced');
    expect(audit.body.data).toHaveLength(1);
  });

  it('two workers never sync one site at once', async () => {
    const tenant = await buildTenant(app);
    const { siteId } = await linkedSite(tenant);
    await inTransaction(app.database, { tenantId: tenant.id }, (tx) =>
      queueSync(tx, tenant.id, siteId, { from: '2026-01-01', to: '2026-03-31' }),
    );
    const google_ = app.services.google!;
    const active = new Set<string>();
    let overlap = false;
    const run = (worker: string) =>
      runSiteSync(
        {
          database: app.database,
          google: google_,
          leaseMs: 60_000,
          reports: app.services.cache,
          onChunk: () => {
            active.add(worker);
            if (active.size > 1) overlap = true;
          },
        },
        tenant.id,
        siteId,
        worker,
      );
    const outcomes = await Promise.all([run('worker-a'), run('worker-b')]);
    expect(overlap).toBe(false);
    expect(outcomes.filter((o) => o === 'done').length).toBeLessThanOrEqual(1);
    const state = await eventually(async () => {
      const s = await tenant.owner.client.get(`/api/v1/sites/${siteId}/sync`);
      return s.body.status === 'idle' ? s.body : null;
    }, 30_000);
    expect(state.progress).toEqual({ done: 90, total: 90 });
    const n = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM search_terms_daily WHERE tenant_id = ${tenant.id} AND site_id = ${siteId}`.execute(
      app.database.db,
    );
    expect(n.rows[0]!.n).toBe(90 * google.fake.termsPerDay * 2);
  });
});
