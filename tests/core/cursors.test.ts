import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/server/lib/cursor.ts';
import { createService, createSite } from '../roi/helpers.ts';
import { buildTenant, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
let tenant: TestTenant;
let siteId: string;
let serviceId: string;
beforeAll(async () => {
  app = await startTestApp();
  tenant = await buildTenant(app);
  siteId = (await createSite(tenant)).id;
  serviceId = (await createService(tenant, siteId, { billing: 'hourly', amount: 10_000 })).id;
});
afterAll(async () => {
  await app.close();
});

/** Cursors that decode but name no row: a value of the wrong kind in each position. */
const forged = [
  encodeCursor(['not a time', 'not an id']),
  encodeCursor(['2026-01-01T00:00:00.000Z', 42]),
  encodeCursor(['2026-02-30', 7]),
  encodeCursor([12, 'x']),
  encodeCursor(['x']),
  encodeCursor(['not a number']),
  'not base64 at all!',
];

describe('cursor pages', () => {
  it('answer a forged cursor on every paginated list with a 400 problem, never a 5xx', async () => {
    const lists = [
      '/api/v1/sites',
      '/api/v1/services',
      `/api/v1/services/${serviceId}/time-entries`,
      `/api/v1/sites/${siteId}/metrics`,
      '/api/v1/members',
      '/api/v1/invitations',
      '/api/v1/api-keys',
      '/api/v1/billing/invoices',
      '/api/v1/billing/webhook-events',
      '/api/v1/audit-logs',
    ];
    for (const list of lists) {
      for (const cursor of forged) {
        const res = await tenant.owner.client.get(`${list}?cursor=${encodeURIComponent(cursor)}`);
        expect(res.status, `${list} ${cursor}: ${res.text}`).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      }
    }
    // Lists keyed by uuid also refuse an id that is no uuid (the database would).
    const byUuid = lists.filter((l) => !l.includes('billing') && !l.includes('metrics'));
    const notUuid = encodeCursor(['2026-01-01', 'not-a-uuid']);
    for (const list of byUuid.filter((l) => !l.includes('audit'))) {
      const res = await tenant.owner.client.get(`${list}?cursor=${notUuid}`);
      expect(res.status, `${list}: ${res.text}`).toBe(400);
    }
  });
});
