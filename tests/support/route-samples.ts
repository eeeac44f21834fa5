import { expect } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import type { TestApp } from './test-app.ts';
import { addMember, signUp, uniq, type TestTenant } from './factories.ts';
import { REPORTING_MAIL_SAMPLES } from './reporting-mail-samples.ts';
import { REPORTING_SHARE_SAMPLES } from './reporting-share-samples.ts';

/**
 * A valid request for every tenant-scoped route, built inside a given tenant. The generated
 * cross-tenant test (tests/core/cross-tenant.test.ts) replays each against another tenant, and the
 * audit coverage test checks that each mutating one writes its audit event.
 */
export interface SampleRequest {
  /** Concrete path (ids filled in) with any query string. */
  path: string;
  body?: unknown;
  /** A non-JSON body (CSV, raw bytes). */
  raw?: string | Buffer;
  contentType?: string;
}

export interface RouteSample {
  build(app: TestApp, tenant: TestTenant): Promise<SampleRequest>;
  /** Audit action written by a successful call of a mutating route. */
  audit?: string;
  /** The path holds ids of objects in the building tenant (they must be 404 for another tenant). */
  ownsObjects?: boolean;
}

/** Creates a site in the tenant through the API and returns its id. */
export async function sampleSite(tenant: TestTenant): Promise<string> {
  const res = await tenant.owner.client.post(
    '/api/v1/sites',
    { name: `Site ${uniq()}`, domain: `${uniq()}.example.com` },
    { tenant: tenant.id },
  );
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

export const ROUTE_SAMPLES: Record<string, RouteSample> = {
  'GET /api/v1/tenant': { build: async () => ({ path: '/api/v1/tenant' }) },
  'PATCH /api/v1/tenant': {
    build: async () => ({ path: '/api/v1/tenant', body: { name: `Renamed ${uniq()}` } }),
    audit: 'tenant.updated',
  },
  'GET /api/v1/members': { build: async () => ({ path: '/api/v1/members' }) },
  'PATCH /api/v1/members/:userId': {
    build: async (app, tenant) => {
      const member = await addMember(app, tenant, 'member');
      return { path: `/api/v1/members/${member.user.id}`, body: { role: 'admin' } };
    },
    audit: 'member.updated',
    ownsObjects: true,
  },
  'DELETE /api/v1/members/:userId': {
    build: async (app, tenant) => {
      const member = await addMember(app, tenant, 'member');
      return { path: `/api/v1/members/${member.user.id}` };
    },
    audit: 'member.removed',
    ownsObjects: true,
  },
  'GET /api/v1/invitations': { build: async () => ({ path: '/api/v1/invitations' }) },
  'POST /api/v1/invitations': {
    build: async () => ({
      path: '/api/v1/invitations',
      body: { email: `inv-${uniq()}@example.test`, role: 'member' },
    }),
    audit: 'invitation.created',
  },
  'DELETE /api/v1/invitations/:id': {
    build: async (_app, tenant) => {
      const res = await tenant.owner.client.post(
        '/api/v1/invitations',
        { email: `inv-${uniq()}@example.test`, role: 'member' },
        { tenant: tenant.id },
      );
      expect(res.status, res.text).toBe(201);
      return { path: `/api/v1/invitations/${res.body.id}` };
    },
    audit: 'invitation.revoked',
    ownsObjects: true,
  },
  'GET /api/v1/api-keys': { build: async () => ({ path: '/api/v1/api-keys' }) },
  'POST /api/v1/api-keys': {
    build: async () => ({
      path: '/api/v1/api-keys',
      body: { name: `k-${uniq()}`, role: 'member' },
    }),
    audit: 'api_key.created',
  },
  'DELETE /api/v1/api-keys/:id': {
    build: async (_app, tenant) => {
      const res = await tenant.owner.client.post(
        '/api/v1/api-keys',
        { name: `k-${uniq()}`, role: 'member' },
        { tenant: tenant.id },
      );
      expect(res.status, res.text).toBe(201);
      return { path: `/api/v1/api-keys/${res.body.id}` };
    },
    audit: 'api_key.revoked',
    ownsObjects: true,
  },
  ...ROI_SAMPLES(),
  ...BILLING_SAMPLES(),
  ...REPORTING_MAIL_SAMPLES(),
  ...REPORTING_SHARE_SAMPLES(),
  // Audit log (reading is itself audited, but reads are not mutating routes).
  'GET /api/v1/audit-logs': {
    build: async () => ({ path: '/api/v1/audit-logs?action=tenant.created' }),
  },
  'GET /api/v1/audit-logs/export': {
    build: async () => ({ path: '/api/v1/audit-logs/export?format=ndjson' }),
  },
  'GET /api/v1/audit-logs/verify': { build: async () => ({ path: '/api/v1/audit-logs/verify' }) },
};

/** Creates a service on a new site of the tenant through the API; returns both ids. */
async function sampleService(
  tenant: TestTenant,
  billing = 'hourly',
): Promise<{ siteId: string; serviceId: string }> {
  const siteId = await sampleSite(tenant);
  const res = await tenant.owner.client.post(
    '/api/v1/services',
    { siteId, name: 'SEO work', category: 'seo', billing, amount: 12_000, startDate: '2026-01-01' },
    { tenant: tenant.id },
  );
  expect(res.status, res.text).toBe(201);
  return { siteId, serviceId: res.body.id };
}

/** Sites, services, time entries, metrics and the ROI report. */
function ROI_SAMPLES(): Record<string, RouteSample> {
  return {
    'GET /api/v1/sites': { build: async () => ({ path: '/api/v1/sites' }) },
    'POST /api/v1/sites': {
      build: async () => ({
        path: '/api/v1/sites',
        body: { name: `Site ${uniq()}`, domain: `${uniq()}.example.com` },
      }),
      audit: 'site.created',
    },
    'GET /api/v1/sites/:id': {
      build: async (_app, tenant) => ({ path: `/api/v1/sites/${await sampleSite(tenant)}` }),
      ownsObjects: true,
    },
    'PATCH /api/v1/sites/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/sites/${await sampleSite(tenant)}`,
        body: { name: `Renamed ${uniq()}` },
      }),
      audit: 'site.updated',
      ownsObjects: true,
    },
    'DELETE /api/v1/sites/:id': {
      build: async (_app, tenant) => ({ path: `/api/v1/sites/${await sampleSite(tenant)}` }),
      audit: 'site.deleted',
      ownsObjects: true,
    },
    'GET /api/v1/services': {
      build: async (_app, tenant) => ({
        path: `/api/v1/services?siteId=${(await sampleService(tenant)).siteId}`,
      }),
      ownsObjects: true,
    },
    'POST /api/v1/services': {
      build: async (_app, tenant) => ({
        path: '/api/v1/services',
        body: {
          siteId: await sampleSite(tenant),
          name: 'Audit',
          category: 'technical',
          billing: 'one_time',
          amount: 50_000,
          startDate: '2026-02-01',
        },
      }),
      audit: 'service.created',
    },
    'GET /api/v1/services/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/services/${(await sampleService(tenant)).serviceId}`,
      }),
      ownsObjects: true,
    },
    'PATCH /api/v1/services/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/services/${(await sampleService(tenant)).serviceId}`,
        body: { amount: 15_000 },
      }),
      audit: 'service.updated',
      ownsObjects: true,
    },
    'DELETE /api/v1/services/:id': {
      build: async (_app, tenant) => ({
        path: `/api/v1/services/${(await sampleService(tenant)).serviceId}`,
      }),
      audit: 'service.deleted',
      ownsObjects: true,
    },
    'GET /api/v1/services/:id/time-entries': {
      build: async (_app, tenant) => ({
        path: `/api/v1/services/${(await sampleService(tenant)).serviceId}/time-entries`,
      }),
      ownsObjects: true,
    },
    'POST /api/v1/services/:id/time-entries': {
      build: async (_app, tenant) => ({
        path: `/api/v1/services/${(await sampleService(tenant)).serviceId}/time-entries`,
        body: { date: '2026-02-03', hours: 1.5, note: 'Keyword research' },
      }),
      audit: 'time_entry.created',
      ownsObjects: true,
    },
    'DELETE /api/v1/services/:id/time-entries/:entryId': {
      build: async (_app, tenant) => {
        const { serviceId } = await sampleService(tenant);
        const res = await tenant.owner.client.post(
          `/api/v1/services/${serviceId}/time-entries`,
          { date: '2026-02-03', hours: 2 },
          { tenant: tenant.id },
        );
        expect(res.status, res.text).toBe(201);
        return { path: `/api/v1/services/${serviceId}/time-entries/${res.body.id}` };
      },
      audit: 'time_entry.deleted',
      ownsObjects: true,
    },
    'GET /api/v1/sites/:siteId/metrics': {
      build: async (_app, tenant) => ({
        path: `/api/v1/sites/${await sampleSite(tenant)}/metrics`,
      }),
      ownsObjects: true,
    },
    'POST /api/v1/sites/:siteId/metrics': {
      build: async (_app, tenant) => ({
        path: `/api/v1/sites/${await sampleSite(tenant)}/metrics`,
        raw: 'date,sessions,revenue\n2026-01-05,120,1234.56\n',
        contentType: 'text/csv',
      }),
      audit: 'metrics.imported',
      ownsObjects: true,
    },
    'GET /api/v1/reports/roi': {
      build: async (_app, tenant) => ({
        path: `/api/v1/reports/roi?from=2026-01-01&to=2026-03-31&siteId=${await sampleSite(tenant)}`,
      }),
      ownsObjects: true,
    },
  };
}

/** Billing: checkout, portal, subscription, invoices and the Stripe event dead-letter list. */
function BILLING_SAMPLES(): Record<string, RouteSample> {
  return {
    'POST /api/v1/billing/checkout': {
      build: async () => ({ path: '/api/v1/billing/checkout', body: { plan: 'pro' } }),
      audit: 'billing.checkout_started',
    },
    'POST /api/v1/billing/portal': {
      build: async (_app, tenant) => {
        // The portal needs the Stripe customer a first checkout creates.
        const res = await tenant.owner.client.post(
          '/api/v1/billing/checkout',
          { plan: 'starter' },
          { tenant: tenant.id },
        );
        expect(res.status, res.text).toBe(201);
        return { path: '/api/v1/billing/portal' };
      },
      audit: 'billing.portal_opened',
    },
    'GET /api/v1/billing/subscription': {
      build: async () => ({ path: '/api/v1/billing/subscription' }),
    },
    'GET /api/v1/billing/invoices': { build: async () => ({ path: '/api/v1/billing/invoices' }) },
    'GET /api/v1/billing/webhook-events': {
      build: async () => ({ path: '/api/v1/billing/webhook-events?status=all' }),
    },
    'POST /api/v1/billing/webhook-events/:id/replay': {
      build: async (app, tenant) => {
        // A dead-lettered event that processing tied to this tenant (its payload names no object,
        // so a replay just settles it as ignored).
        const id = `evt_sample${uniq()}${uniq()}`;
        await inTransaction(app.database, {}, (tx) =>
          tx
            .insertInto('stripe_webhook_events')
            .values({
              id,
              type: 'customer.subscription.updated',
              stripe_created: new Date(),
              payload: JSON.stringify({
                id,
                type: 'customer.subscription.updated',
                data: { object: {} },
              }),
              status: 'dead',
              attempts: 8,
              last_error: 'sample',
              resolved_tenant_id: tenant.id,
            })
            .execute(),
        );
        return { path: `/api/v1/billing/webhook-events/${id}/replay` };
      },
      audit: 'billing.webhook_event_replayed',
      ownsObjects: true,
    },
  };
}

/** Signs up a fresh user (no memberships): for routes that need a signed-in stranger. */
export const stranger = signUp;
