import { expect } from 'vitest';
import { uniq, type TestTenant } from '../support/factories.ts';
import type { TestApp } from '../support/test-app.ts';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
} from '../../src/server/data/identity-changes.ts';

/** Lifts the tenant's plan so a test can create more sites than the free plan allows. */
export async function setPlan(
  app: TestApp,
  tenant: TestTenant,
  plan: 'free' | 'starter' | 'pro' | 'agency',
) {
  await changeIdentityRowsAsOwner(app.database, [tenantIdentity(tenant.id)], (tx) =>
    tx.updateTable('tenants').set({ plan }).where('id', '=', tenant.id).execute(),
  );
}

/** Creates a site through the API as the owner. */
export async function createSite(tenant: TestTenant, fields: Record<string, unknown> = {}) {
  const res = await tenant.owner.client.post('/api/v1/sites', {
    name: `Site ${uniq()}`,
    domain: `${uniq()}.example.com`,
    ...fields,
  });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; name: string; domain: string; clientName: string | null };
}

/** Creates a service through the API as the owner. */
export async function createService(
  tenant: TestTenant,
  siteId: string,
  fields: Record<string, unknown> = {},
) {
  const res = await tenant.owner.client.post('/api/v1/services', {
    siteId,
    name: 'Retainer',
    category: 'seo',
    billing: 'monthly',
    amount: 100_000,
    startDate: '2026-01-01',
    ...fields,
  });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; billing: string; amount: number };
}

/** Imports JSON metric rows through the API as the owner. */
export async function importRows(
  tenant: TestTenant,
  siteId: string,
  rows: Record<string, unknown>[],
) {
  const res = await tenant.owner.client.post(`/api/v1/sites/${siteId}/metrics`, { rows });
  expect(res.status, res.text).toBe(200);
  return res.body as { received: number; inserted: number; updated: number };
}

/** The audit actions of a tenant, oldest first (read from the database as the owner role). */
export async function auditActions(app: TestApp, tenantId: string): Promise<string[]> {
  const rows = await app.database.db
    .selectFrom('audit_events')
    .select('action')
    .where('tenant_id', '=', tenantId)
    .orderBy('seq')
    .execute();
  return rows.map((r) => r.action);
}
