import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, createApiKey } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { auditActions, createSite, setPlan } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('sites', () => {
  it('creates, lists in cursor pages, reads, updates and deletes, with audit events', async () => {
    const tenant = await buildTenant(app);
    await setPlan(app, tenant, 'starter');
    const c = tenant.owner.client;
    const created = await c.post('/api/v1/sites', {
      name: 'Blog',
      domain: 'https://WWW.Example.com/path?x=1',
      clientName: 'Acme Inc',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Blog',
      domain: 'www.example.com',
      clientName: 'Acme Inc',
    });
    const ids = [created.body.id];
    for (let i = 0; i < 4; i++) ids.push((await createSite(tenant)).id);

    const first = await c.get('/api/v1/sites?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.data.map((s: { id: string }) => s.id)).toEqual(ids.slice(0, 2));
    const second = await c.get(`/api/v1/sites?limit=2&cursor=${first.body.nextCursor}`);
    const third = await c.get(`/api/v1/sites?limit=2&cursor=${second.body.nextCursor}`);
    expect([...second.body.data, ...third.body.data].map((s: { id: string }) => s.id)).toEqual(
      ids.slice(2),
    );
    expect(third.body.nextCursor).toBeNull();

    const read = await c.get(`/api/v1/sites/${ids[0]}`);
    expect(read.body).toEqual(created.body);

    const patched = await c.patch(`/api/v1/sites/${ids[0]}`, {
      name: 'Main blog',
      clientName: null,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Main blog',
      clientName: null,
      domain: 'www.example.com',
    });

    expect((await c.delete(`/api/v1/sites/${ids[0]}`)).status).toBe(204);
    expect((await c.get(`/api/v1/sites/${ids[0]}`)).status).toBe(404);
    expect((await c.delete(`/api/v1/sites/${ids[0]}`)).status).toBe(404);

    const actions = await auditActions(app, tenant.id);
    expect(actions.filter((a) => a.startsWith('site.'))).toEqual([
      ...Array(5).fill('site.created'),
      'site.updated',
      'site.deleted',
    ]);
    const events = await app.database.db
      .selectFrom('audit_events')
      .select(['action', 'changes', 'target_id'])
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'site.updated')
      .execute();
    expect(events[0]!.target_id).toBe(ids[0]);
    expect(events[0]!.changes).toEqual({
      name: { from: 'Blog', to: 'Main blog' },
      clientName: { from: 'Acme Inc', to: null },
    });
  });

  it('deletes a site with its services and metrics', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const keep = await createSite(tenant);
    const c = tenant.owner.client;
    for (const id of [site.id, keep.id]) {
      const imported = await c.post(`/api/v1/sites/${id}/metrics`, {
        rows: [
          { date: '2026-01-05', revenue: 1 },
          { date: '2026-02-05', revenue: 2 },
        ],
      });
      expect(imported.status, imported.text).toBe(200);
    }
    const svc = await c.post('/api/v1/services', {
      siteId: site.id,
      name: 'R',
      category: 'seo',
      billing: 'monthly',
      amount: 1,
      startDate: '2026-01-01',
    });
    expect((await c.delete(`/api/v1/sites/${site.id}`)).status).toBe(204);
    expect((await c.get(`/api/v1/services/${svc.body.id}`)).status).toBe(404);
    const count = async (table: 'metrics_daily' | 'metrics_monthly', siteId: string) =>
      (
        await app.database.db
          .selectFrom(table)
          .select('site_id')
          .where('tenant_id', '=', tenant.id)
          .where('site_id', '=', siteId)
          .execute()
      ).length;
    expect([
      await count('metrics_daily', site.id),
      await count('metrics_monthly', site.id),
    ]).toEqual([0, 0]);
    expect([
      await count('metrics_daily', keep.id),
      await count('metrics_monthly', keep.id),
    ]).toEqual([2, 2]);
  });

  it('validates input with 400 and writes nothing', async () => {
    const tenant = await buildTenant(app);
    const c = tenant.owner.client;
    const bad = await c.post('/api/v1/sites', { name: '', domain: 'not a domain' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['domain', 'name']);
    expect((await c.patch(`/api/v1/sites/${(await createSite(tenant)).id}`, {})).status).toBe(400);
    expect((await c.get('/api/v1/sites')).body.data).toHaveLength(1);
  });

  it('enforces the plan limit of sites with 402', async () => {
    const tenant = await buildTenant(app);
    await createSite(tenant);
    await createSite(tenant);
    const third = await tenant.owner.client.post('/api/v1/sites', {
      name: 'Third',
      domain: 'third.example.com',
    });
    expect(third.status).toBe(402);
    expect(third.body.type).toBe('/problems/plan-limit/sites');
  });

  it('shows a client only the sites granted to them, read-only', async () => {
    const tenant = await buildTenant(app);
    const granted = await createSite(tenant);
    const other = await createSite(tenant);
    const client = await addMember(app, tenant, 'client', [granted.id]);
    const list = await client.client.get('/api/v1/sites');
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([granted.id]);
    expect((await client.client.get(`/api/v1/sites/${granted.id}`)).status).toBe(200);
    const hidden = await client.client.get(`/api/v1/sites/${other.id}`);
    const missing = await client.client.get(`/api/v1/sites/00000000-0000-4000-8000-000000000000`);
    expect(hidden.status).toBe(404);
    expect({ ...hidden.body, instance: undefined }).toEqual({
      ...missing.body,
      instance: undefined,
    });
    expect((await client.client.patch(`/api/v1/sites/${granted.id}`, { name: 'x' })).status).toBe(
      403,
    );
    expect(
      (await client.client.post('/api/v1/sites', { name: 'x', domain: 'x.example.com' })).status,
    ).toBe(403);
    // A client-role API key has no grants: it sees no site.
    const key = await createApiKey(tenant, 'client');
    const byKey = await app.client().get('/api/v1/sites', { apiKey: key });
    expect(byKey.status).toBe(200);
    expect(byKey.body.data).toEqual([]);
  });

  it('answers another tenant’s site like a missing one', async () => {
    const a = await buildTenant(app);
    const b = await buildTenant(app);
    const site = await createSite(a);
    for (const res of [
      await b.owner.client.get(`/api/v1/sites/${site.id}`),
      await b.owner.client.patch(`/api/v1/sites/${site.id}`, { name: 'stolen' }),
      await b.owner.client.delete(`/api/v1/sites/${site.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.detail).toBe('Site not found');
    }
    expect((await b.owner.client.get('/api/v1/sites')).body.data).toEqual([]);
    expect((await a.owner.client.get(`/api/v1/sites/${site.id}`)).body.name).toBe(site.name);
  });
});
