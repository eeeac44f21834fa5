import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Role } from '../../src/shared/schemas/common.ts';
import type { TestApp } from './test-app.ts';
import type { TestClient } from './test-client.ts';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
} from '../../src/server/data/identity-changes.ts';

export const uniq = () => randomBytes(5).toString('hex');
export const PASSWORD = 'correct horse battery';

export interface SignedInUser {
  client: TestClient;
  user: { id: string; email: string; name: string };
}

/** Signs up a new user with a unique email; the client holds the session. */
export async function signUp(
  app: TestApp,
  overrides: { email?: string; name?: string } = {},
): Promise<SignedInUser> {
  const client = app.client();
  const email = overrides.email ?? `user-${uniq()}@example.test`;
  const res = await client.post('/api/v1/auth/signup', {
    email,
    password: PASSWORD,
    name: overrides.name ?? 'Test User',
  });
  expect(res.status, res.text).toBe(201);
  return { client, user: res.body.user };
}

export interface TestTenant {
  id: string;
  subdomain: string;
  name: string;
  owner: SignedInUser;
}

/**
 * Builds a user and a workspace they own; the owner's client sends the tenant by default.
 * Every test builds its own, so tests never share state.
 */
export async function buildTenant(app: TestApp, name = 'Acme SEO'): Promise<TestTenant> {
  const owner = await signUp(app);
  const subdomain = `t-${uniq()}`;
  const res = await owner.client.post('/api/v1/tenants', { name, subdomain });
  expect(res.status, res.text).toBe(201);
  owner.client.tenant = res.body.id;
  return { id: res.body.id, subdomain, name, owner };
}

/**
 * Adds a member with `role` through the invitation flow; their client sends the tenant by default.
 * A client needs at least one granted site: without `siteIds` one is created for them.
 */
export async function addMember(
  app: TestApp,
  tenant: TestTenant,
  role: Role,
  siteIds?: string[],
): Promise<SignedInUser> {
  if (role === 'client' && !siteIds?.length) {
    const site = await tenant.owner.client.post('/api/v1/sites', {
      name: `Client site ${uniq()}`,
      domain: `client-${uniq()}.example.test`,
    });
    expect(site.status, site.text).toBe(201);
    siteIds = [site.body.id as string];
  }
  const member = await signUp(app);
  const invite = await tenant.owner.client.post('/api/v1/invitations', {
    email: member.user.email,
    role,
    siteIds,
  });
  expect(invite.status, invite.text).toBe(201);
  const accept = await member.client.post('/api/v1/invitations/accept', {
    token: invite.body.token,
  });
  expect(accept.status, accept.text).toBe(200);
  member.client.tenant = tenant.id;
  return member;
}

/** Creates an API key with `role` in the tenant. */
export async function createApiKey(tenant: TestTenant, role: Role = 'admin'): Promise<string> {
  const res = await tenant.owner.client.post('/api/v1/api-keys', { name: `key-${uniq()}`, role });
  expect(res.status, res.text).toBe(201);
  return res.body.key;
}

/** Waits until `check` returns a truthy value (background work), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/**
 * Puts a tenant on a plan directly in the database (tests of limits other than billing's own):
 * billing tests go through checkout instead.
 */
export async function setPlan(
  app: TestApp,
  tenant: TestTenant,
  plan: 'free' | 'starter' | 'pro' | 'agency',
) {
  await changeIdentityRowsAsOwner(app.database, [tenantIdentity(tenant.id)], (tx) =>
    tx.updateTable('tenants').set({ plan }).where('id', '=', tenant.id).execute(),
  );
}
