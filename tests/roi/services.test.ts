import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { auditActions, createService, createSite } from './helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('services and time entries', () => {
  it('creates, lists, reads, updates and deletes services with audit events', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const c = tenant.owner.client;
    const res = await c.post('/api/v1/services', {
      siteId: site.id,
      name: 'Retainer',
      category: 'content',
      billing: 'monthly',
      amount: 250_000,
      startDate: '2026-01-15',
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      siteId: site.id,
      billing: 'monthly',
      amount: 250_000,
      currency: 'USD',
      startDate: '2026-01-15',
      endDate: null,
    });
    const oneOff = await createService(tenant, site.id, { billing: 'one_time', name: 'Audit' });

    const list = await c.get(`/api/v1/services?siteId=${site.id}`);
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([res.body.id, oneOff.id]);
    const paged = await c.get('/api/v1/services?limit=1');
    expect(paged.body.data).toHaveLength(1);
    expect(paged.body.nextCursor).toEqual(expect.any(String));

    const patched = await c.patch(`/api/v1/services/${res.body.id}`, {
      endDate: '2026-06-30',
      amount: 300_000,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ endDate: '2026-06-30', amount: 300_000 });
    expect((await c.get(`/api/v1/services/${res.body.id}`)).body).toEqual(patched.body);

    expect((await c.delete(`/api/v1/services/${oneOff.id}`)).status).toBe(204);
    expect((await c.get(`/api/v1/services/${oneOff.id}`)).status).toBe(404);
    expect((await auditActions(app, tenant.id)).filter((a) => a.startsWith('service.'))).toEqual([
      'service.created',
      'service.created',
      'service.updated',
      'service.deleted',
    ]);
  });

  it('rejects an unknown billing type, a negative amount and an end before the start with 400', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const base = {
      siteId: site.id,
      name: 'X',
      category: 'seo',
      billing: 'monthly',
      amount: 100,
      startDate: '2026-03-01',
    };
    const c = tenant.owner.client;
    const cases: [Record<string, unknown>, string][] = [
      [{ billing: 'weekly' }, 'billing'],
      [{ amount: -1 }, 'amount'],
      [{ amount: 1.5 }, 'amount'],
      [{ endDate: '2026-02-28' }, 'endDate'],
      [{ startDate: '2026-02-30' }, 'startDate'],
    ];
    for (const [override, path] of cases) {
      const res = await c.post('/api/v1/services', { ...base, ...override });
      expect(res.status, JSON.stringify(override)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const svc = await createService(tenant, site.id, {
      startDate: '2026-03-01',
      endDate: '2026-05-31',
    });
    const bad = await c.patch(`/api/v1/services/${svc.id}`, { startDate: '2026-06-01' });
    expect(bad.status).toBe(400);
    expect((await c.get(`/api/v1/services?siteId=${site.id}`)).body.data).toHaveLength(1);
  });

  it('logs hours on hourly services, costed hours × rate rounded to the cent', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const hourly = await createService(tenant, site.id, { billing: 'hourly', amount: 3333 });
    const c = tenant.owner.client;
    const entry = await c.post(`/api/v1/services/${hourly.id}/time-entries`, {
      date: '2026-02-03',
      hours: 1.25,
      note: 'Links',
    });
    expect(entry.status, entry.text).toBe(201);
    // 1.25 × 3333 = 4166.25 → 4166
    expect(entry.body).toMatchObject({
      serviceId: hourly.id,
      siteId: site.id,
      date: '2026-02-03',
      hours: 1.25,
      cost: 4166,
      note: 'Links',
    });
    const half = await c.post(`/api/v1/services/${hourly.id}/time-entries`, {
      date: '2026-02-04',
      hours: 0.5,
    });
    expect(half.body.cost).toBe(1667); // 1666.5 rounds half up
    for (const hours of [0, -1, 25, 1.234]) {
      expect(
        (await c.post(`/api/v1/services/${hourly.id}/time-entries`, { date: '2026-02-04', hours }))
          .status,
      ).toBe(400);
    }
    const list = await c.get(`/api/v1/services/${hourly.id}/time-entries`);
    expect(list.body.data.map((e: { cost: number }) => e.cost)).toEqual([4166, 1667]);
    expect(
      (await c.delete(`/api/v1/services/${hourly.id}/time-entries/${half.body.id}`)).status,
    ).toBe(204);
    expect(
      (await c.delete(`/api/v1/services/${hourly.id}/time-entries/${half.body.id}`)).status,
    ).toBe(404);

    const monthly = await createService(tenant, site.id);
    const wrong = await c.post(`/api/v1/services/${monthly.id}/time-entries`, {
      date: '2026-02-04',
      hours: 1,
    });
    expect(wrong.status).toBe(409);
  });

  it("answers another tenant's site or service like a missing one", async () => {
    const a = await buildTenant(app);
    const b = await buildTenant(app);
    const site = await createSite(a);
    const svc = await createService(a, site.id, { billing: 'hourly' });
    const body = {
      siteId: site.id,
      name: 'X',
      category: 'seo',
      billing: 'monthly',
      amount: 100,
      startDate: '2026-03-01',
    };
    const foreign = await b.owner.client.post('/api/v1/services', body);
    const missing = await b.owner.client.post('/api/v1/services', {
      ...body,
      siteId: '00000000-0000-4000-8000-000000000000',
    });
    expect(foreign.status).toBe(404);
    expect({ ...foreign.body, instance: undefined }).toEqual({
      ...missing.body,
      instance: undefined,
    });
    expect(foreign.body.detail).toBe('Site not found');
    expect((await b.owner.client.get(`/api/v1/services?siteId=${site.id}`)).status).toBe(404);
    expect((await b.owner.client.get('/api/v1/services')).body.data).toEqual([]);
    expect((await b.owner.client.get(`/api/v1/services/${svc.id}`)).status).toBe(404);
    expect((await b.owner.client.patch(`/api/v1/services/${svc.id}`, { amount: 1 })).status).toBe(
      404,
    );
    expect(
      (
        await b.owner.client.post(`/api/v1/services/${svc.id}/time-entries`, {
          date: '2026-03-02',
          hours: 1,
        })
      ).status,
    ).toBe(404);
    expect((await b.owner.client.delete(`/api/v1/services/${svc.id}`)).status).toBe(404);
    expect((await a.owner.client.get(`/api/v1/services/${svc.id}`)).status).toBe(200);
  });

  it('shows a client only the services of granted sites, read-only', async () => {
    const tenant = await buildTenant(app);
    const granted = await createSite(tenant);
    const hidden = await createSite(tenant);
    const visible = await createService(tenant, granted.id, { billing: 'hourly' });
    const secret = await createService(tenant, hidden.id);
    const client = await addMember(app, tenant, 'client', [granted.id]);
    const c = client.client;
    expect((await c.get('/api/v1/services')).body.data.map((s: { id: string }) => s.id)).toEqual([
      visible.id,
    ]);
    expect((await c.get(`/api/v1/services/${secret.id}`)).status).toBe(404);
    expect((await c.get(`/api/v1/services?siteId=${hidden.id}`)).status).toBe(404);
    // The agency's time log (notes, hours, cost at its rate) is internal.
    expect((await c.get(`/api/v1/services/${visible.id}/time-entries`)).status).toBe(403);
    expect(
      (
        await c.post(`/api/v1/services/${visible.id}/time-entries`, {
          date: '2026-03-02',
          hours: 1,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await c.post('/api/v1/services', {
          siteId: granted.id,
          name: 'X',
          category: 'seo',
          billing: 'monthly',
          amount: 1,
          startDate: '2026-03-01',
        })
      ).status,
    ).toBe(403);
  });
});
