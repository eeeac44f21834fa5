import { expect } from 'vitest';
import type { TestApp } from './test-app.ts';
import { addMember, signUp, uniq, type TestTenant } from './factories.ts';

/**
 * A valid request for every tenant-scoped route, built inside a given tenant. The generated
 * cross-tenant test (tests/core/cross-tenant.test.ts) replays each against another tenant, and the
 * audit coverage test checks that each mutating one writes its audit event.
 */
export interface SampleRequest {
  /** Concrete path (ids filled in) with any query string. */
  path: string;
  body?: unknown;
  /** A non-JSON body (CSV, raw). */
  raw?: string;
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
  const res = await tenant.owner.client.post('/api/v1/sites', { name: `Site ${uniq()}`, domain: `${uniq()}.example.com` }, { tenant: tenant.id });
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
    build: async () => ({ path: '/api/v1/invitations', body: { email: `inv-${uniq()}@example.test`, role: 'member' } }),
    audit: 'invitation.created',
  },
  'DELETE /api/v1/invitations/:id': {
    build: async (_app, tenant) => {
      const res = await tenant.owner.client.post('/api/v1/invitations', { email: `inv-${uniq()}@example.test`, role: 'member' }, { tenant: tenant.id });
      expect(res.status, res.text).toBe(201);
      return { path: `/api/v1/invitations/${res.body.id}` };
    },
    audit: 'invitation.revoked',
    ownsObjects: true,
  },
  'GET /api/v1/api-keys': { build: async () => ({ path: '/api/v1/api-keys' }) },
  'POST /api/v1/api-keys': {
    build: async () => ({ path: '/api/v1/api-keys', body: { name: `k-${uniq()}`, role: 'member' } }),
    audit: 'api_key.created',
  },
  'DELETE /api/v1/api-keys/:id': {
    build: async (_app, tenant) => {
      const res = await tenant.owner.client.post('/api/v1/api-keys', { name: `k-${uniq()}`, role: 'member' }, { tenant: tenant.id });
      expect(res.status, res.text).toBe(201);
      return { path: `/api/v1/api-keys/${res.body.id}` };
    },
    audit: 'api_key.revoked',
    ownsObjects: true,
  },
};

/** Signs up a fresh user (no memberships): for routes that need a signed-in stranger. */
export const stranger = signUp;
