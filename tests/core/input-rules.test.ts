import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/server/lib/cursor.ts';
import { createSite } from '../roi/helpers.ts';
import { addMember, buildTenant, createApiKey, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import type { TestResponse } from '../support/test-client.ts';

/**
 * The contract's input rules ("Conventions"): dates in years 1900–2999, ranges of at most 3,660
 * days, no NUL character anywhere, only http(s) URLs. Outside them: 400 at once, nothing written.
 */
let app: TestApp;
let tenant: TestTenant;
let siteId: string;
beforeAll(async () => {
  app = await startTestApp();
  tenant = await buildTenant(app);
  siteId = (await createSite(tenant)).id;
});
afterAll(async () => {
  await app.close();
});

function expectBadRequest(res: TestResponse, what: string) {
  expect(res.status, `${what}: ${res.text}`).toBe(400);
  expect(res.headers.get('content-type'), what).toMatch(/problem\+json/);
}

/** The tenant's audit chain head: any write through the API moves it. */
async function chainHead(id: string) {
  const row = await app.database.db
    .selectFrom('audit_chain_heads')
    .select(['last_seq'])
    .where('tenant_id', '=', id)
    .executeTakeFirst();
  return row?.last_seq ?? 0;
}

describe('dates and ranges', () => {
  it('a report range ending in 9999 is a 400 answered at once, even for a client key', async () => {
    const client = await addMember(app, tenant, 'client', [siteId]);
    const started = Date.now();
    const res = await client.client.get('/api/v1/reports/roi?from=9990-01-01&to=9999-12-31');
    expectBadRequest(res, 'year 9999');
    const key = await createApiKey(tenant, 'client');
    const byKey = await app
      .client()
      .get('/api/v1/reports/roi?from=2990-01-01&to=2999-12-31&groupBy=day', { apiKey: key });
    expect(byKey.status, byKey.text).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.each([
    ['from=0001-01-01&to=0001-12-31'],
    ['from=0099-01-01&to=0099-01-31'],
    ['from=1899-12-31&to=1900-01-31'],
    ['from=2999-12-01&to=3000-01-01'],
    ['from=2000-01-01&to=2010-01-08'],
    ['from=1900-01-01'],
  ])('the report refuses %s', async (query) => {
    expectBadRequest(await tenant.owner.client.get(`/api/v1/reports/roi?${query}`), query);
  });

  it('a range of exactly 3,660 days is accepted', async () => {
    const res = await tenant.owner.client.get('/api/v1/reports/roi?from=2000-01-01&to=2010-01-07');
    expect(res.status, res.text).toBe(200);
  });

  it('refuses out-of-range years in bodies and list filters', async () => {
    const before = await chainHead(tenant.id);
    const service = await tenant.owner.client.post('/api/v1/services', {
      siteId,
      name: 'Old',
      category: 'seo',
      billing: 'one_time',
      amount: 100,
      startDate: '0001-01-01',
    });
    expectBadRequest(service, 'service in year 1');
    expectBadRequest(
      await tenant.owner.client.get(`/api/v1/sites/${siteId}/metrics?from=0099-01-01`),
      'metrics from 0099',
    );
    expectBadRequest(
      await tenant.owner.client.get('/api/v1/audit-logs?from=0001-01-01T00:00:00Z'),
      'audit from year 1',
    );
    expectBadRequest(
      await tenant.owner.client.get('/api/v1/audit-logs/export?to=9999-12-31'),
      'audit export to 9999',
    );
    expect(await chainHead(tenant.id)).toBe(before);
  });

  it('refuses forged cursors holding years 0000 or +275760', async () => {
    const cursors = [
      encodeCursor(['0000-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
      encodeCursor(['+275760-09-13T00:00:00.000Z', '00000000-0000-4000-8000-000000000000']),
      encodeCursor(['0001-01-01T00:00:00.000Z', 'in_1']),
    ];
    const lists = ['/api/v1/sites', '/api/v1/api-keys', '/api/v1/billing/invoices'];
    for (const list of lists) {
      for (const cursor of cursors) {
        expectBadRequest(await tenant.owner.client.get(`${list}?cursor=${cursor}`), list);
      }
    }
    expectBadRequest(
      await tenant.owner.client.get(
        `/api/v1/sites/${siteId}/metrics?cursor=${encodeCursor(['0000-01-01'])}`,
      ),
      'metrics cursor',
    );
  });
});

describe('NUL characters', () => {
  it('are refused in names, notes, filters, paths, headers and CSV, and nothing is written', async () => {
    const before = await chainHead(tenant.id);
    const client = tenant.owner.client;
    const attempts: [string, Promise<TestResponse>][] = [
      ['site name', client.post('/api/v1/sites', { name: 'a\u0000b', domain: 'nul.example.com' })],
      ['site patch', client.patch(`/api/v1/sites/${siteId}`, { clientName: 'x\u0000' })],
      ['tenant name', client.patch('/api/v1/tenant', { name: '\u0000' })],
      ['json key', client.patch('/api/v1/tenant', { ['na\u0000me']: 'x' })],
      ['filter', client.get('/api/v1/audit-logs?actorId=a%00b')],
      ['query key', client.get('/api/v1/sites?a%00=1')],
      ['path', client.get(`/api/v1/sites/${siteId}%00`)],
      [
        'csv',
        client.request('POST', `/api/v1/sites/${siteId}/metrics`, {
          raw: 'date,sessions\n2026-01-01,1\u0000\n',
          contentType: 'text/csv',
        }),
      ],
    ];
    for (const [what, pending] of attempts) expectBadRequest(await pending, what);
    expect(await chainHead(tenant.id)).toBe(before);
  });
});

describe('URLs', () => {
  it('stores no linked logo, javascript: and other schemes included (the logo is uploaded)', async () => {
    const before = await chainHead(tenant.id);
    for (const logoUrl of [
      'javascript:alert(1)',
      'data:text/html,x',
      'ftp://example.com/x.png',
      'https://cdn.example.com/logo.png',
    ]) {
      expectBadRequest(
        await tenant.owner.client.patch('/api/v1/tenant', { branding: { logoUrl } }),
        logoUrl,
      );
    }
    expect(await chainHead(tenant.id)).toBe(before);
    const ok = await tenant.owner.client.patch('/api/v1/tenant', {
      branding: { primaryColor: '#123456' },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.branding.logoUrl).toBeNull();
  });
});
