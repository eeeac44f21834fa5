import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { currentPeriod, goalStatus } from '../../src/server/domain/goals/goals.ts';
import { createService, createSite, importRows, setPlan } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const today = () => new Date().toISOString().slice(0, 10);

async function goal(tenant: TestTenant, body: Record<string, unknown>) {
  const res = await tenant.owner.client.post('/api/v1/goals', body);
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; siteId: string | null; target: number };
}

describe('goals', () => {
  it('creates, lists, changes and deletes goals, validated and audited', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    for (const bad of [
      { siteId: site.id, metric: 'value', period: 'month', target: 10.5 },
      { siteId: site.id, metric: 'conversions', period: 'month', target: -1 },
      { siteId: site.id, metric: 'roi', period: 'week', target: 1 },
      { siteId: site.id, metric: 'profit', period: 'month', target: 1 },
      { siteId: 'nope', metric: 'roi', period: 'month', target: 1 },
      { metric: 'roi', period: 'month', target: 1 },
      { siteId: null, metric: 'roi', period: 'month', target: '1' },
    ]) {
      const res = await c.post('/api/v1/goals', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    const missing = await c.post('/api/v1/goals', {
      siteId: '00000000-0000-4000-8000-000000000000',
      metric: 'roi',
      period: 'month',
      target: 1,
    });
    expect(missing.status).toBe(404);
    const created = await c.post('/api/v1/goals', {
      siteId: site.id,
      metric: 'roi',
      period: 'quarter',
      target: 1.5,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      siteId: site.id,
      metric: 'roi',
      period: 'quarter',
      target: 1.5,
    });
    expect(Object.keys(created.body).sort()).toEqual(
      ['createdAt', 'id', 'metric', 'period', 'siteId', 'target'].sort(),
    );
    const workspace = await goal(tenant, {
      siteId: null,
      metric: 'value',
      period: 'month',
      target: 100_000,
    });
    const list = await c.get('/api/v1/goals?limit=1');
    expect(list.body.data.map((g: { id: string }) => g.id)).toEqual([created.body.id]);
    const next = await c.get(`/api/v1/goals?limit=1&cursor=${list.body.nextCursor}`);
    expect(next.body).toMatchObject({ data: [{ id: workspace.id }], nextCursor: null });
    // The target must suit the metric the goal ends up with.
    const mismatch = await c.patch(`/api/v1/goals/${created.body.id}`, { metric: 'value' });
    expect(mismatch.status).toBe(400);
    const changed = await c.patch(`/api/v1/goals/${created.body.id}`, {
      metric: 'conversions',
      target: 40,
      period: 'month',
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ metric: 'conversions', target: 40, period: 'month' });
    expect((await c.delete(`/api/v1/goals/${created.body.id}`)).status).toBe(204);
    expect((await c.delete(`/api/v1/goals/${created.body.id}`)).status).toBe(404);
    expect((await c.patch(`/api/v1/goals/${created.body.id}`, { target: 1 })).status).toBe(404);
    const events = await app.database.db
      .selectFrom('audit_events')
      .select(['action', 'changes'])
      .where('tenant_id', '=', tenant.id)
      .where('action', 'like', 'goal.%')
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.action)).toEqual([
      'goal.created',
      'goal.created',
      'goal.updated',
      'goal.deleted',
    ]);
    expect(events[2]!.changes).toEqual({
      metric: { from: 'roi', to: 'conversions' },
      period: { from: 'quarter', to: 'month' },
      target: { from: 1.5, to: 40 },
    });
    // Another tenant: 404 like a goal that does not exist.
    const other = await buildTenant(app);
    const foreign = await other.owner.client.patch(`/api/v1/goals/${workspace.id}`, {
      target: 1,
    });
    expect(foreign.status).toBe(404);
    expect((await other.owner.client.delete(`/api/v1/goals/${workspace.id}`)).status).toBe(404);
    expect((await other.owner.client.get('/api/v1/goals')).body.data).toEqual([]);
    expect((await other.owner.client.get('/api/v1/goals/progress')).body.data).toEqual([]);
  });

  it('shows a client only the goals of their granted sites, read-only', async () => {
    const tenant = await buildTenant(app);
    await setPlan(app, tenant, 'pro');
    const granted = await createSite(tenant);
    const hidden = await createSite(tenant);
    const mine = await goal(tenant, {
      siteId: granted.id,
      metric: 'conversions',
      period: 'month',
      target: 10,
    });
    await goal(tenant, { siteId: hidden.id, metric: 'conversions', period: 'month', target: 10 });
    await goal(tenant, { siteId: null, metric: 'value', period: 'month', target: 10 });
    const client = await addMember(app, tenant, 'client', [granted.id]);
    const list = await client.client.get('/api/v1/goals');
    expect(list.body.data.map((g: { id: string }) => g.id)).toEqual([mine.id]);
    const progress = await client.client.get('/api/v1/goals/progress');
    expect(progress.body.data.map((p: { goal: { id: string } }) => p.goal.id)).toEqual([mine.id]);
    const post = await client.client.post('/api/v1/goals', {
      siteId: granted.id,
      metric: 'roi',
      period: 'month',
      target: 1,
    });
    expect(post.status).toBe(403);
    expect((await client.client.patch(`/api/v1/goals/${mine.id}`, { target: 1 })).status).toBe(403);
    expect((await client.client.delete(`/api/v1/goals/${mine.id}`)).status).toBe(403);
    const member = await addMember(app, tenant, 'member');
    expect((await member.client.patch(`/api/v1/goals/${mine.id}`, { target: 12 })).status).toBe(
      200,
    );
  });

  it('measures progress in the current period from the ROI report', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const t = today();
    const period = currentPeriod('month', t);
    const elapsed = Number(t.slice(8, 10));
    const total = Number(period.to.slice(8, 10));
    // Revenue 1,000 and 2 conversions today; nothing before this month counts.
    await importRows(tenant, site.id, [
      { date: t, revenue: 1_000, conversions: 2 },
      { date: '2020-01-15', revenue: 999_999, conversions: 99 },
    ]);
    await tenant.owner.client.patch(`/api/v1/sites/${site.id}`, {
      attribution: { grossMargin: 0.5 },
    });
    const value = await goal(tenant, {
      siteId: site.id,
      metric: 'value',
      period: 'month',
      target: 500,
    });
    const conversions = await goal(tenant, {
      siteId: null,
      metric: 'conversions',
      period: 'month',
      target: 2 * total + 1,
    });
    const roi = await goal(tenant, {
      siteId: site.id,
      metric: 'roi',
      period: 'quarter',
      target: 1,
    });
    const res = await tenant.owner.client.get('/api/v1/goals/progress');
    expect(res.status, res.text).toBe(200);
    const byId = new Map(
      res.body.data.map((p: { goal: { id: string } }) => [p.goal.id, p] as const),
    );
    expect(byId.get(value.id)).toMatchObject({
      from: period.from,
      to: period.to,
      daysElapsed: elapsed,
      daysTotal: total,
      actual: 500,
      projected: Math.round((500 * total) / elapsed),
      status: 'met',
    });
    // 2 conversions in `elapsed` days: on pace for 2 × total / elapsed, short of 2 × total + 1.
    expect(byId.get(conversions.id)).toMatchObject({
      actual: 2,
      projected: Math.round((2 * total) / elapsed),
      status: 'behind',
    });
    // No cost yet: no ROI.
    expect(byId.get(roi.id)).toMatchObject({ actual: null, projected: null, status: 'behind' });
    const quarter = currentPeriod('quarter', t);
    expect(byId.get(roi.id)).toMatchObject({ from: quarter.from, to: quarter.to });
    // A one-off cost of 200 today: ROI (500 − 200) / 200 = 1.5 ≥ 1.
    await createService(tenant, site.id, { billing: 'one_time', amount: 200, startDate: t });
    const after = await tenant.owner.client.get('/api/v1/goals/progress');
    const roiNow = after.body.data.find((p: { goal: { id: string } }) => p.goal.id === roi.id);
    expect(roiNow.actual).toBe(1.5);
    expect(roiNow.projected).toBe(1.5);
    expect(roiNow.status).toBe(roiNow.daysElapsed === roiNow.daysTotal ? 'met' : 'on_track');
  });

  it('works out periods and statuses', () => {
    expect(currentPeriod('month', '2024-02-10')).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(currentPeriod('quarter', '2026-05-31')).toEqual({
      from: '2026-04-01',
      to: '2026-06-30',
    });
    expect(currentPeriod('quarter', '2026-12-31')).toEqual({
      from: '2026-10-01',
      to: '2026-12-31',
    });
    expect(goalStatus({ metric: 'value', target: 300 }, 100, 10, 30)).toEqual({
      projected: 300,
      status: 'on_track',
    });
    expect(goalStatus({ metric: 'value', target: 301 }, 100, 10, 30)).toEqual({
      projected: 300,
      status: 'behind',
    });
    expect(goalStatus({ metric: 'roi', target: 1 }, 1, 30, 30)).toEqual({
      projected: 1,
      status: 'met',
    });
    expect(goalStatus({ metric: 'roi', target: 1 }, 0.99, 5, 30).status).toBe('behind');
  });
});

describe('currency lock', () => {
  it('refuses a currency change once money is stored (409 saying why), allows the same one', async () => {
    const tenant = await buildTenant(app);
    const c = tenant.owner.client;
    // Nothing stored yet: the currency may change, and back.
    expect((await c.patch('/api/v1/tenant', { currency: 'EUR' })).status).toBe(200);
    expect((await c.patch('/api/v1/tenant', { currency: 'USD' })).status).toBe(200);
    const site = await createSite(tenant);
    // A site and a service of amount 0 store no money.
    await createService(tenant, site.id, { amount: 0 });
    expect((await c.patch('/api/v1/tenant', { currency: 'GBP' })).status).toBe(200);
    await c.patch('/api/v1/tenant', { currency: 'USD' });
    await importRows(tenant, site.id, [{ date: '2026-01-01', revenue: 5 }]);
    const refused = await c.patch('/api/v1/tenant', { currency: 'EUR', name: 'Renamed' });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(refused.body.detail).toMatch(/USD/);
    expect(refused.body.detail).toMatch(/imported revenue/);
    // Nothing written: not even the name that came with it.
    const settings = await c.get('/api/v1/tenant');
    expect(settings.body).toMatchObject({ currency: 'USD', name: tenant.name });
    expect((await c.patch('/api/v1/tenant', { currency: 'USD', name: 'Same' })).status).toBe(200);
  });

  it('counts every kind of stored money', async () => {
    const kinds: [string, (t: TestTenant, siteId: string) => Promise<void>][] = [
      ['services with an amount', async (t, s) => void (await createService(t, s))],
      [
        'time entries',
        async (t, s) => {
          const svc = await createService(t, s, { billing: 'hourly', amount: 0 });
          const res = await t.owner.client.post(`/api/v1/services/${svc.id}/time-entries`, {
            date: '2026-01-02',
            hours: 1,
          });
          expect(res.status).toBe(201);
        },
      ],
      [
        'conversion values',
        async (t, s) =>
          void (await t.owner.client.patch(`/api/v1/sites/${s}`, {
            attribution: { conversionValue: 100 },
          })),
      ],
      [
        'value goals',
        async (t, s) =>
          void (await goal(t, { siteId: s, metric: 'value', period: 'month', target: 1 })),
      ],
    ];
    for (const [kind, store] of kinds) {
      const tenant = await buildTenant(app);
      const site = await createSite(tenant);
      // An ROI goal is not money.
      await goal(tenant, { siteId: null, metric: 'roi', period: 'month', target: 1 });
      expect((await tenant.owner.client.patch('/api/v1/tenant', { currency: 'EUR' })).status).toBe(
        200,
      );
      await store(tenant, site.id);
      const res = await tenant.owner.client.patch('/api/v1/tenant', { currency: 'USD' });
      expect(res.status, kind).toBe(409);
      expect(res.body.detail, kind).toContain(kind);
    }
  });
});
