import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAnnotations } from '../../src/server/domain/annotations/annotations.ts';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { addMember, buildTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import type { TestResponse } from '../support/test-client.ts';
import { auditActions, createService, createSite, setPlan } from '../roi/helpers.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

type A = { id: string; siteId: string | null; date: string; title: string; source: string };

describe('annotations', () => {
  it('lists manual and automatic annotations by date; only manual ones are deleted; audited', async () => {
    const tenant = await buildTenant(app);
    const c = tenant.owner.client;
    const site = await createSite(tenant);
    const retainer = await createService(tenant, site.id, {
      name: 'SEO retainer',
      startDate: '2026-02-01',
      endDate: '2026-06-30',
    });
    const job = await createService(tenant, site.id, {
      name: 'Technical audit',
      billing: 'one_time',
      startDate: '2026-03-10',
    });
    const created = await c.post('/api/v1/annotations', {
      siteId: site.id,
      date: '2026-03-10',
      title: 'New landing pages',
      note: 'Ten pages',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ source: 'manual', serviceId: null, note: 'Ten pages' });
    const wide = await c.post('/api/v1/annotations', { date: '2026-04-02', title: 'Core update' });
    expect(wide.status).toBe(201);
    expect(wide.body.siteId).toBeNull();

    const list = await c.get(`/api/v1/annotations?siteId=${site.id}`);
    expect(list.status, list.text).toBe(200);
    const rows = list.body.data as A[];
    expect(rows.map((r) => [r.date, r.title, r.source])).toEqual([
      ['2026-02-01', 'Retainer started: SEO retainer', 'service'],
      ...[
        ['2026-03-10', 'New landing pages', 'manual'],
        ['2026-03-10', 'One-off: Technical audit', 'service'],
      ].sort((a, b) => {
        const ia = rows.find((r) => r.title === a[1])!.id;
        const ib = rows.find((r) => r.title === b[1])!.id;
        return ia < ib ? -1 : 1;
      }),
      ['2026-04-02', 'Core update', 'manual'],
      ['2026-06-30', 'Retainer ended: SEO retainer', 'service'],
    ]);
    const auto = rows.filter((r) => r.source === 'service');
    expect(auto.map((r) => (r as unknown as { serviceId: string }).serviceId)).toEqual([
      retainer.id,
      job.id,
      retainer.id,
    ]);
    // Stable ids from one read to the next.
    const again = await c.get(`/api/v1/annotations?siteId=${site.id}`);
    expect(again.body.data).toEqual(list.body.data);

    // Range filter and paging walk the merged list without gaps or repeats.
    const ranged = await c.get('/api/v1/annotations?from=2026-03-01&to=2026-04-30');
    expect((ranged.body.data as A[]).map((r) => r.date)).toEqual([
      '2026-03-10',
      '2026-03-10',
      '2026-04-02',
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: TestResponse<{ data: A[]; nextCursor: string | null }> = await c.get(
        `/api/v1/annotations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status, page.text).toBe(200);
      seen.push(...(page.body.data as A[]).map((r) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(rows.map((r) => r.id));

    // A changed service moves its annotation at once (computed on read).
    expect(
      (await c.patch(`/api/v1/services/${retainer.id}`, { endDate: '2026-07-31' })).status,
    ).toBe(200);
    const moved = await c.get('/api/v1/annotations?from=2026-07-01&to=2026-07-31');
    expect((moved.body.data as A[]).map((r) => r.title)).toEqual(['Retainer ended: SEO retainer']);

    const autoDelete = await c.delete(`/api/v1/annotations/${auto[0]!.id}`);
    expect(autoDelete.status, autoDelete.text).toBe(409);
    expect(autoDelete.body.detail).toContain('SEO retainer');
    expect((await c.delete(`/api/v1/annotations/${created.body.id}`)).status).toBe(204);
    expect((await c.delete(`/api/v1/annotations/${created.body.id}`)).status).toBe(404);
    expect((await auditActions(app, tenant.id)).filter((a) => a.startsWith('annotation.'))).toEqual(
      ['annotation.created', 'annotation.created', 'annotation.deleted'],
    );
  });

  it('validates input: bad dates, empty title, unknown fields, unknown site, reversed range', async () => {
    const tenant = await buildTenant(app);
    const c = tenant.owner.client;
    for (const body of [
      { date: '2026-02-30', title: 'x' },
      { date: '1800-01-01', title: 'x' },
      { date: '2026-01-01', title: '' },
      { date: '2026-01-01', title: 'x', extra: 1 },
    ]) {
      const res = await c.post('/api/v1/annotations', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const unknownSite = await c.post('/api/v1/annotations', {
      siteId: '0190aaaa-0000-7000-8000-000000000000',
      date: '2026-01-01',
      title: 'x',
    });
    expect(unknownSite.status).toBe(404);
    expect((await c.get('/api/v1/annotations?from=2026-02-01&to=2026-01-01')).status).toBe(400);
    expect((await auditActions(app, tenant.id)).some((a) => a.startsWith('annotation.'))).toBe(
      false,
    );
  });

  it('a client reads those of granted sites and workspace-wide ones, and cannot write', async () => {
    const tenant = await buildTenant(app);
    await setPlan(app, tenant, 'pro');
    const c = tenant.owner.client;
    const granted = await createSite(tenant);
    const other = await createSite(tenant);
    await createService(tenant, other.id, { name: 'Hidden retainer', startDate: '2026-01-05' });
    await createService(tenant, granted.id, { name: 'Shown retainer', startDate: '2026-01-06' });
    for (const [siteId, title] of [
      [granted.id, 'Granted note'],
      [other.id, 'Other note'],
      [null, 'Everyone'],
    ] as const) {
      expect(
        (await c.post('/api/v1/annotations', { siteId, date: '2026-02-01', title })).status,
      ).toBe(201);
    }
    const client = await addMember(app, tenant, 'client', [granted.id]);
    const list = await client.client.get('/api/v1/annotations');
    expect(list.status, list.text).toBe(200);
    expect((list.body.data as A[]).map((r) => r.title).sort()).toEqual([
      'Everyone',
      'Granted note',
      'Retainer started: Shown retainer',
    ]);
    expect((await client.client.get(`/api/v1/annotations?siteId=${other.id}`)).status).toBe(404);
    const write = await client.client.post('/api/v1/annotations', {
      siteId: granted.id,
      date: '2026-02-01',
      title: 'x',
    });
    expect(write.status).toBe(403);
    const target = (list.body.data as A[]).find((r) => r.title === 'Granted note')!;
    expect((await client.client.delete(`/api/v1/annotations/${target.id}`)).status).toBe(403);

    // Another workspace sees none of them.
    const stranger = await buildTenant(app);
    expect(
      (await stranger.owner.client.get('/api/v1/annotations', { tenant: tenant.id })).status,
    ).toBe(404);
    expect(
      (await stranger.owner.client.get(`/api/v1/annotations?siteId=${granted.id}`)).status,
    ).toBe(404);
    expect((await stranger.owner.client.delete(`/api/v1/annotations/${target.id}`)).status).toBe(
      404,
    );

    // The domain function other features call (share links, PDFs): the sites it is given.
    const forLink = await inTransaction(app.database, { tenantId: tenant.id }, (tx) =>
      listAnnotations(tx, tenant.id, {
        siteIds: [granted.id],
        from: '2026-01-01',
        to: '2026-12-31',
      }),
    );
    expect(forLink.map((r) => r.title).sort()).toEqual([
      'Everyone',
      'Granted note',
      'Retainer started: Shown retainer',
    ]);
  });
});
