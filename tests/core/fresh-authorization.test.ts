import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, setPlan, uniq, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
} from '../../src/server/data/identity-changes.ts';

/**
 * Who may do what is read fresh on every request: a role change, a removal or a revocation holds
 * on the very next request, however recently the old answer was used.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

/** Creates a key as `creator` (a member's own client). */
async function keyOf(creator: { client: ReturnType<TestApp['client']> }, role: string) {
  const res = await creator.client.post('/api/v1/api-keys', { name: `k-${uniq()}`, role });
  expect(res.status, res.text).toBe(201);
  return res.body.key as string;
}

const setRole = (t: TestTenant, userId: string, role: string) =>
  t.owner.client.patch(`/api/v1/members/${userId}`, { role });

describe('role changes hold on the next request', () => {
  it('a demoted admin cannot list keys, nor mint an admin key or invitation', async () => {
    const t = await buildTenant(app);
    const admin = await addMember(app, t, 'admin');
    // Used twice just before: whatever could remember the role has seen it.
    for (let i = 0; i < 2; i++)
      expect((await admin.client.get('/api/v1/api-keys')).status).toBe(200);
    expect((await setRole(t, admin.user.id, 'member')).status).toBe(200);

    expect((await admin.client.get('/api/v1/api-keys')).status).toBe(403);
    const key = await admin.client.post('/api/v1/api-keys', { name: 'sneaky', role: 'admin' });
    expect(key.status).toBe(403);
    const invite = await admin.client.post('/api/v1/invitations', {
      email: `x-${uniq()}@example.test`,
      role: 'admin',
    });
    expect(invite.status).toBe(403);
    // A member still does what members do.
    expect((await admin.client.get('/api/v1/sites')).status).toBe(200);
  });

  it('a promoted member gets the new role on the next request', async () => {
    const t = await buildTenant(app);
    const member = await addMember(app, t, 'member');
    expect((await member.client.get('/api/v1/api-keys')).status).toBe(403);
    expect((await setRole(t, member.user.id, 'admin')).status).toBe(200);
    expect((await member.client.get('/api/v1/api-keys')).status).toBe(200);
  });

  it('a removed member gets 404 on the next request', async () => {
    const t = await buildTenant(app);
    const member = await addMember(app, t, 'admin');
    for (let i = 0; i < 2; i++)
      expect((await member.client.get('/api/v1/tenant')).status).toBe(200);
    expect((await t.owner.client.delete(`/api/v1/members/${member.user.id}`)).status).toBe(204);
    const res = await member.client.get('/api/v1/tenant');
    expect(res.status).toBe(404);
  });

  it('tenant settings are read fresh', async () => {
    const t = await buildTenant(app);
    expect((await t.owner.client.get('/api/v1/tenant')).body.plan).toBe('free');
    await changeIdentityRowsAsOwner(app.database, [tenantIdentity(t.id)], (tx) =>
      tx.updateTable('tenants').set({ plan: 'pro' }).where('id', '=', t.id).execute(),
    );
    expect((await t.owner.client.get('/api/v1/tenant')).body.plan).toBe('pro');
  });
});

describe('API keys act with the lesser of their role and their creator’s current role', () => {
  it('a key whose creator was removed stops working (401)', async () => {
    const t = await buildTenant(app);
    const admin = await addMember(app, t, 'admin');
    const key = await keyOf(admin, 'admin');
    for (let i = 0; i < 2; i++) {
      expect((await app.client().get('/api/v1/tenant', { apiKey: key })).status).toBe(200);
    }
    expect((await t.owner.client.delete(`/api/v1/members/${admin.user.id}`)).status).toBe(204);
    expect((await app.client().get('/api/v1/tenant', { apiKey: key })).status).toBe(401);
  });

  it('an admin key whose creator became a member acts as a member', async () => {
    const t = await buildTenant(app);
    const admin = await addMember(app, t, 'admin');
    const key = await keyOf(admin, 'admin');
    const anon = app.client();
    expect((await anon.get('/api/v1/api-keys', { apiKey: key })).status).toBe(200);
    expect((await setRole(t, admin.user.id, 'member')).status).toBe(200);

    expect((await anon.get('/api/v1/api-keys', { apiKey: key })).status).toBe(403);
    const minted = await anon.post(
      '/api/v1/api-keys',
      { name: 'escalate', role: 'admin' },
      { apiKey: key },
    );
    expect(minted.status).toBe(403);
    const site = await anon.post(
      '/api/v1/sites',
      { name: 'Site', domain: `s-${uniq()}.example` },
      { apiKey: key },
    );
    expect(site.status).toBe(201);

    // Promoted back: the key regains its own role, never more.
    expect((await setRole(t, admin.user.id, 'owner')).status).toBe(200);
    expect((await anon.get('/api/v1/api-keys', { apiKey: key })).status).toBe(200);
  });

  it('a member key whose creator is now owner stays a member key', async () => {
    const t = await buildTenant(app);
    const key = await keyOf(t.owner, 'member');
    expect((await app.client().get('/api/v1/api-keys', { apiKey: key })).status).toBe(403);
  });
});

describe('a role check comes before a plan limit (403 before 402)', () => {
  it('a key demoted to client through its creator is refused 403 at the site limit', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'free');
    for (let i = 0; i < 2; i++) {
      const res = await t.owner.client.post('/api/v1/sites', {
        name: `S${i}`,
        domain: `s${i}-${uniq()}.example`,
      });
      expect(res.status, res.text).toBe(201);
    }
    const admin = await addMember(app, t, 'admin');
    const key = await keyOf(admin, 'member');
    const site = { name: 'Over', domain: `o-${uniq()}.example` };
    expect((await app.client().post('/api/v1/sites', site, { apiKey: key })).status).toBe(402);
    expect((await setRole(t, admin.user.id, 'client')).status).toBe(200);
    expect((await app.client().post('/api/v1/sites', site, { apiKey: key })).status).toBe(403);
    expect((await admin.client.post('/api/v1/sites', site)).status).toBe(403);
  });

  it('an admin inviting an owner at the member limit is refused 403', async () => {
    const t = await buildTenant(app);
    const admin = await addMember(app, t, 'admin'); // free plan: 2 members, now full
    const asOwner = await admin.client.post('/api/v1/invitations', {
      email: `o-${uniq()}@example.test`,
      role: 'owner',
    });
    expect(asOwner.status).toBe(403);
    const asMember = await admin.client.post('/api/v1/invitations', {
      email: `m-${uniq()}@example.test`,
      role: 'member',
    });
    expect(asMember.status).toBe(402);
  });
});
