import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, createApiKey, setPlan } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createService, createSite, importRows } from '../roi/helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const AGENCY_FIELDS = ['plan', 'billingStatus', 'pastDue', 'billingGraceEndsAt'];
const NOTE = 'internal: billed Dana at the senior rate';
const RATE = 17_345; // $173.45 an hour

/**
 * A workspace on the agency plan with a client granted one site: that site has a retainer, an
 * hourly service with a noted time entry, and metrics; another site is not granted.
 */
async function workspaceWithClient() {
  const t = await buildTenant(app, 'Agency Internal Name');
  await setPlan(app, t, 'agency');
  const granted = await createSite(t, { name: 'Granted Shop' });
  const hidden = await createSite(t, { name: 'Other Client Site' });
  await importRows(t, granted.id, [{ date: '2026-03-05', revenue: 400_000 }]);
  const retainer = await createService(t, granted.id, { name: 'Retainer', amount: 150_000 });
  const hourly = await createService(t, granted.id, {
    name: 'Content work',
    billing: 'hourly',
    amount: RATE,
    startDate: '2026-03-01',
  });
  const entry = await t.owner.client.post(`/api/v1/services/${hourly.id}/time-entries`, {
    date: '2026-03-10',
    hours: 2,
    note: NOTE,
  });
  expect(entry.status, entry.text).toBe(201);
  const hiddenService = await createService(t, hidden.id, { name: 'Hidden retainer' });
  const client = await addMember(app, t, 'client', [granted.id]);
  return { t, granted, hidden, retainer, hourly, hiddenService, client };
}

describe("a client member reads none of the agency's internals", () => {
  it('GET /tenant answers the branding and settings without the plan and billing', async () => {
    const { t, client } = await workspaceWithClient();
    await t.owner.client.patch('/api/v1/tenant', { branding: { displayName: 'Lumen Digital' } });

    const own = await t.owner.client.get('/api/v1/tenant');
    expect(own.status).toBe(200);
    expect(own.body.plan).toBe('agency');
    expect(own.body.billingStatus).toBe('none');
    expect(own.body.pastDue).toBe(false);

    const member = await addMember(app, t, 'member');
    expect((await member.client.get('/api/v1/tenant')).body.plan).toBe('agency');

    const seen = await client.client.get('/api/v1/tenant');
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({
      id: t.id,
      currency: 'USD',
      branding: { displayName: 'Lumen Digital' },
    });
    for (const field of AGENCY_FIELDS) expect(seen.body).not.toHaveProperty(field);
    expect(seen.text).not.toContain('agency');

    // A client's API key reads the same.
    const key = await createApiKey(t, 'client');
    const byKey = await app.client().get('/api/v1/tenant', { apiKey: key });
    expect(byKey.status).toBe(200);
    for (const field of AGENCY_FIELDS) expect(byKey.body).not.toHaveProperty(field);

    // Another workspace's settings are a 404, as for anyone.
    const stranger = await buildTenant(app);
    expect((await client.client.get('/api/v1/tenant', { tenant: stranger.id })).status).toBe(404);
  });

  it('members, invitations, billing, outbox, schedules and the audit log are 403', async () => {
    const { client } = await workspaceWithClient();
    for (const path of [
      '/api/v1/members',
      '/api/v1/invitations',
      '/api/v1/billing/subscription',
      '/api/v1/billing/invoices',
      '/api/v1/api-keys',
      '/api/v1/outbox',
      '/api/v1/report-schedules',
      '/api/v1/audit-logs',
      '/api/v1/integrations',
    ]) {
      const res = await client.client.get(path);
      expect(res.status, path).toBe(403);
      expect(res.headers.get('content-type'), path).toContain('application/problem+json');
    }
  });

  it('services of granted sites only, without an hourly rate; time entries are 403', async () => {
    const { t, granted, retainer, hourly, hiddenService, client } = await workspaceWithClient();

    const staffView = await t.owner.client.get(`/api/v1/services/${hourly.id}`);
    expect(staffView.body.amount).toBe(RATE);

    const list = await client.client.get(`/api/v1/services?siteId=${granted.id}`);
    expect(list.status, list.text).toBe(200);
    const byId = new Map(list.body.data.map((s: { id: string }) => [s.id, s]));
    expect([...byId.keys()].sort()).toEqual([retainer.id, hourly.id].sort());
    expect(byId.get(retainer.id)).toMatchObject({ billing: 'monthly', amount: 150_000 });
    expect(byId.get(hourly.id)).toMatchObject({ billing: 'hourly', name: 'Content work' });
    expect(byId.get(hourly.id)).not.toHaveProperty('amount');

    const one = await client.client.get(`/api/v1/services/${hourly.id}`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('amount');

    const all = await client.client.get('/api/v1/services');
    expect(all.body.data.map((s: { id: string }) => s.id)).not.toContain(hiddenService.id);
    expect((await client.client.get(`/api/v1/services/${hiddenService.id}`)).status).toBe(404);

    const entries = await client.client.get(`/api/v1/services/${hourly.id}/time-entries`);
    expect(entries.status).toBe(403);
    const add = await client.client.post(`/api/v1/services/${hourly.id}/time-entries`, {
      date: '2026-03-11',
      hours: 1,
    });
    expect(add.status).toBe(403);
  });

  it('no answer a client can read carries a time-entry note, the rate or another site', async () => {
    const { granted, hidden, hourly, client } = await workspaceWithClient();
    const readable = [
      '/api/v1/me',
      '/api/v1/tenant',
      '/api/v1/sites',
      `/api/v1/sites/${granted.id}`,
      '/api/v1/services',
      `/api/v1/services/${hourly.id}`,
      '/api/v1/reports/roi?from=2026-03-01&to=2026-03-31',
      '/api/v1/reports/roi?from=2026-03-01&to=2026-03-31&groupBy=site',
      '/api/v1/annotations?from=2026-01-01&to=2026-12-31',
      '/api/v1/report-links',
      '/api/v1/goals',
    ];
    for (const path of readable) {
      const res = await client.client.get(path);
      expect(res.status, `${path}: ${res.text}`).toBe(200);
      for (const secret of [NOTE, hidden.id, 'Other Client Site']) {
        expect(res.text, `${path} carries ${secret}`).not.toContain(secret);
      }
      expect(res.text, `${path} carries the rate`).not.toMatch(new RegExp(`:${RATE}[,}]`));
    }
    // The hours still count in the client's report: 2 h × $173.45 = $346.90, and the retainer's
    // March ($1,500.00).
    const report = await client.client.get('/api/v1/reports/roi?from=2026-03-01&to=2026-03-31');
    expect(report.body.totals.cost).toBe(2 * RATE + 150_000);
  });
});
