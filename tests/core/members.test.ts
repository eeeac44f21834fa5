import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, setPlan, signUp, uniq } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('members and invitations', () => {
  it('invites, accepts and lists a member', async () => {
    const t = await buildTenant(app);
    const member = await addMember(app, t, 'member');
    const list = await t.owner.client.get('/api/v1/members');
    expect(list.status).toBe(200);
    expect(list.body.data.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([
      [t.owner.user.email, 'owner'],
      [member.user.email, 'member'],
    ]);
    expect(list.body.nextCursor).toBeNull();
    const me = await member.client.get('/api/v1/me');
    expect(me.body.memberships).toEqual([
      { tenant: { id: t.id, name: t.name, subdomain: t.subdomain }, role: 'member' },
    ]);
  });

  it('pages members with a cursor', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    for (let i = 0; i < 3; i++) await addMember(app, t, 'member');
    const first = await t.owner.client.get('/api/v1/members?limit=2');
    expect(first.body.data).toHaveLength(2);
    const second = await t.owner.client.get(
      `/api/v1/members?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.data).toHaveLength(2);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((m: { userId: string }) => m.userId);
    expect(new Set(ids).size).toBe(4);
    expect((await t.owner.client.get('/api/v1/members?limit=500')).status).toBe(400);
    expect((await t.owner.client.get('/api/v1/members?cursor=garbage')).status).toBe(400);
  });

  it('only the invited email can accept, once', async () => {
    const t = await buildTenant(app);
    const invited = `inv-${uniq()}@example.test`;
    const inv = await t.owner.client.post('/api/v1/invitations', { email: invited, role: 'admin' });
    expect(inv.status).toBe(201);
    expect(inv.body.acceptUrl).toContain(encodeURIComponent(inv.body.token));
    const other = await signUp(app);
    expect(
      (await other.client.post('/api/v1/invitations/accept', { token: inv.body.token })).status,
    ).toBe(403);
    const right = await signUp(app, { email: invited });
    expect(
      (await right.client.post('/api/v1/invitations/accept', { token: inv.body.token })).status,
    ).toBe(200);
    expect(
      (await right.client.post('/api/v1/invitations/accept', { token: inv.body.token })).status,
    ).toBe(404);
    expect(
      (await right.client.post('/api/v1/invitations/accept', { token: 'inv_nonexistent_token' }))
        .status,
    ).toBe(404);
  });

  it('expired and withdrawn invitations cannot be accepted', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const a = await signUp(app);
    const b = await signUp(app);
    const invA = await t.owner.client.post('/api/v1/invitations', {
      email: a.user.email,
      role: 'member',
    });
    const invB = await t.owner.client.post('/api/v1/invitations', {
      email: b.user.email,
      role: 'member',
    });
    await app.database.db
      .updateTable('invitations')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', invA.body.id)
      .execute();
    expect(
      (await a.client.post('/api/v1/invitations/accept', { token: invA.body.token })).status,
    ).toBe(404);
    expect((await t.owner.client.delete(`/api/v1/invitations/${invB.body.id}`)).status).toBe(204);
    expect(
      (await b.client.post('/api/v1/invitations/accept', { token: invB.body.token })).status,
    ).toBe(404);
  });

  it('keeps the last owner', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const self = t.owner.user.id;
    expect((await t.owner.client.patch(`/api/v1/members/${self}`, { role: 'admin' })).status).toBe(
      409,
    );
    expect((await t.owner.client.delete(`/api/v1/members/${self}`)).status).toBe(409);
    const second = await addMember(app, t, 'owner');
    expect((await t.owner.client.patch(`/api/v1/members/${self}`, { role: 'admin' })).status).toBe(
      200,
    );
    expect((await second.client.delete(`/api/v1/members/${second.user.id}`)).status).toBe(409);
  });

  it('an admin cannot create or change owners, and nobody grants above their role', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const admin = await addMember(app, t, 'admin');
    expect(
      (
        await admin.client.post('/api/v1/invitations', {
          email: `x-${uniq()}@example.test`,
          role: 'owner',
        })
      ).status,
    ).toBe(403);
    expect(
      (await admin.client.patch(`/api/v1/members/${t.owner.user.id}`, { role: 'member' })).status,
    ).toBe(403);
    expect((await admin.client.delete(`/api/v1/members/${t.owner.user.id}`)).status).toBe(403);
    const member = await addMember(app, t, 'member');
    expect(
      (await admin.client.patch(`/api/v1/members/${member.user.id}`, { role: 'owner' })).status,
    ).toBe(403);
    expect(
      (await admin.client.patch(`/api/v1/members/${member.user.id}`, { role: 'client' })).status,
    ).toBe(200);
  });

  it('members and clients cannot manage members (403, recorded)', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const member = await addMember(app, t, 'member');
    const client = await addMember(app, t, 'client');
    expect((await member.client.get('/api/v1/members')).status).toBe(403);
    expect(
      (
        await client.client.post('/api/v1/invitations', {
          email: `x-${uniq()}@example.test`,
          role: 'client',
          siteIds: [crypto.randomUUID()],
        })
      ).status,
    ).toBe(403);
    const denied = await app.database.db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('tenant_id', '=', t.id)
      .where('action', '=', 'security.access_denied')
      .execute();
    expect(denied.map((d) => d.actor_id).sort()).toEqual([member.user.id, client.user.id].sort());
  });

  it('removes a member, whose access ends at once', async () => {
    const t = await buildTenant(app);
    const member = await addMember(app, t, 'member');
    expect((await member.client.get('/api/v1/tenant')).status).toBe(200);
    expect((await t.owner.client.delete(`/api/v1/members/${member.user.id}`)).status).toBe(204);
    expect((await member.client.get('/api/v1/tenant')).status).toBe(404);
  });

  it('holds the free plan to 2 members, pending invitations included (402)', async () => {
    const t = await buildTenant(app);
    expect(
      (
        await t.owner.client.post('/api/v1/invitations', {
          email: `a-${uniq()}@example.test`,
          role: 'member',
        })
      ).status,
    ).toBe(201);
    const over = await t.owner.client.post('/api/v1/invitations', {
      email: `b-${uniq()}@example.test`,
      role: 'member',
    });
    expect(over.status).toBe(402);
    expect(over.body).toMatchObject({
      status: 402,
      limit: 'members',
      max: 2,
      type: '/problems/plan-limit/members',
    });
  });

  it('rejects unknown roles and bad emails with 400', async () => {
    const t = await buildTenant(app);
    const res = await t.owner.client.post('/api/v1/invitations', {
      email: 'not-an-email',
      role: 'king',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['email', 'role']);
  });

  it('words validation errors for people, not in zod terms', async () => {
    const t = await buildTenant(app);
    const res = await t.owner.client.post('/api/v1/invitations', { email: '', role: 'king' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: 'email', message: 'must be an email address' },
      { path: 'role', message: 'must be one of "owner", "admin", "member", "client"' },
    ]);
    const key = await t.owner.client.post('/api/v1/api-keys', { name: '', role: 'member' });
    expect(key.body.errors).toEqual([{ path: 'name', message: 'is required' }]);
  });

  it('a client invitation names at least one site (400, nothing written)', async () => {
    const t = await buildTenant(app);
    for (const siteIds of [undefined, []]) {
      const res = await t.owner.client.post('/api/v1/invitations', {
        email: `c-${uniq()}@example.test`,
        role: 'client',
        siteIds,
      });
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'siteIds', message: 'choose at least one site' }]);
    }
    expect((await t.owner.client.get('/api/v1/invitations')).body.data).toEqual([]);
  });

  it('the invitation page learns the workspace, role and inviter, and the address only if it may', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const site = await t.owner.client.post('/api/v1/sites', {
      name: 'Granted',
      domain: `granted-${uniq()}.example.test`,
    });
    const invited = `inv-${uniq()}@example.test`;
    const inv = await t.owner.client.post('/api/v1/invitations', {
      email: invited,
      role: 'client',
      siteIds: [site.body.id],
    });
    expect(inv.status, inv.text).toBe(201);
    const token = inv.body.token as string;
    const expected = {
      workspaceName: t.name,
      role: 'client',
      invitedBy: t.owner.user.name,
      siteCount: 1,
      expiresAt: inv.body.expiresAt,
    };
    // Signed out: the link holder sees the address, to sign up with it.
    const anonymous = await app.client().post('/api/v1/invitations/lookup', { token });
    expect(anonymous.status, anonymous.text).toBe(200);
    expect(anonymous.body).toEqual({
      ...expected,
      email: invited,
      forSignedInUser: null,
    });
    // Someone else signed in: never the address.
    const other = await signUp(app);
    const seen = await other.client.post('/api/v1/invitations/lookup', { token });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ email: null, forSignedInUser: false, role: 'client' });
    expect(seen.text).not.toContain(invited);
    // The invited user signed in sees it's for them.
    const right = await signUp(app, { email: invited });
    expect((await right.client.post('/api/v1/invitations/lookup', { token })).body).toMatchObject({
      email: invited,
      forSignedInUser: true,
    });
    // Once used, or unknown: 404 alike, and the lookup changed nothing.
    expect((await right.client.post('/api/v1/invitations/accept', { token })).status).toBe(200);
    const used = await app.client().post('/api/v1/invitations/lookup', { token });
    const unknown = await app.client().post('/api/v1/invitations/lookup', {
      token: 'inv_nonexistent_token',
    });
    expect([used.status, unknown.status]).toEqual([404, 404]);
    expect(used.body.detail).toBe(unknown.body.detail);
  });
});
