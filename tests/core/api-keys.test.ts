import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, setPlan } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('API keys', () => {
  it('shows an rsk_ key of at least 192 random bits once and stores only its hash', async () => {
    const t = await buildTenant(app);
    const res = await t.owner.client.post('/api/v1/api-keys', { name: 'CI', role: 'member' });
    expect(res.status).toBe(201);
    const key: string = res.body.key;
    expect(key).toMatch(/^rsk_[A-Za-z0-9_-]+$/);
    expect(Buffer.from(key.slice(4), 'base64url').length * 8).toBeGreaterThanOrEqual(192);
    const stored = await app.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(key.slice(4));
    const list = await t.owner.client.get('/api/v1/api-keys');
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({
      id: res.body.id,
      name: 'CI',
      role: 'member',
      revokedAt: null,
    });
    expect(JSON.stringify(list.body)).not.toContain(key.slice(4));
  });

  it('authenticates as its tenant and role, without cookies or CSRF', async () => {
    const t = await buildTenant(app);
    const member = (await t.owner.client.post('/api/v1/api-keys', { name: 'm', role: 'member' }))
      .body.key;
    const admin = (await t.owner.client.post('/api/v1/api-keys', { name: 'a', role: 'admin' })).body
      .key;
    const anon = app.client();
    expect((await anon.get('/api/v1/tenant', { apiKey: member })).body.id).toBe(t.id);
    expect((await anon.get('/api/v1/members', { apiKey: member })).status).toBe(403);
    expect((await anon.get('/api/v1/members', { apiKey: admin })).status).toBe(200);
    expect((await anon.patch('/api/v1/tenant', { name: 'By key' }, { apiKey: admin })).status).toBe(
      200,
    );
    // Its own tenant named explicitly is fine.
    expect((await anon.get('/api/v1/tenant', { apiKey: admin, tenant: t.subdomain })).status).toBe(
      200,
    );
    // Account routes need a person.
    expect(
      (
        await anon.post(
          '/api/v1/tenants',
          { name: 'x', subdomain: 'by-key-tenant' },
          { apiKey: admin },
        )
      ).status,
    ).toBe(403);
  });

  it('revokes a key from the next request on', async () => {
    const t = await buildTenant(app);
    const created = await t.owner.client.post('/api/v1/api-keys', { name: 'tmp', role: 'admin' });
    const anon = app.client();
    expect((await anon.get('/api/v1/tenant', { apiKey: created.body.key })).status).toBe(200);
    expect((await t.owner.client.delete(`/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await anon.get('/api/v1/tenant', { apiKey: created.body.key })).status).toBe(401);
    const list = await t.owner.client.get('/api/v1/api-keys');
    expect(list.body.data[0].revokedAt).not.toBeNull();
  });

  it('rejects malformed and unknown keys with 401', async () => {
    const anon = app.client();
    expect((await anon.get('/api/v1/tenant', { apiKey: 'rsk_doesnotexist' })).status).toBe(401);
    expect(
      (await anon.get('/api/v1/tenant', { headers: { authorization: 'Basic abc' } })).status,
    ).toBe(401);
  });

  it('a key never outranks its creator', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const admin = await addMember(app, t, 'admin');
    expect((await admin.client.post('/api/v1/api-keys', { name: 'x', role: 'owner' })).status).toBe(
      403,
    );
    expect((await admin.client.post('/api/v1/api-keys', { name: 'x', role: 'admin' })).status).toBe(
      201,
    );
    const bad = await admin.client.post('/api/v1/api-keys', { name: '', role: 'root' });
    expect(bad.status).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for the same body and answers 409 for another', async () => {
    const t = await buildTenant(app);
    const body = { email: 'idem@example.test', role: 'member' };
    const first = await t.owner.client.post('/api/v1/invitations', body, {
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(first.status).toBe(201);
    const again = await t.owner.client.post('/api/v1/invitations', body, {
      headers: { 'idempotency-key': 'k-1' },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    // The token is shown once: the stored replay does not keep it.
    expect(again.body.token).toBeNull();
    const other = await t.owner.client.post(
      '/api/v1/invitations',
      { ...body, role: 'admin' },
      { headers: { 'idempotency-key': 'k-1' } },
    );
    expect(other.status).toBe(409);
    const list = await t.owner.client.get('/api/v1/invitations');
    expect(list.body.data).toHaveLength(1);
  });

  it('keys are per caller, and concurrent retries create one object', async () => {
    const t = await buildTenant(app);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.owner.client.post(
          '/api/v1/api-keys',
          { name: 'once', role: 'member' },
          { headers: { 'idempotency-key': 'same' } },
        ),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await t.owner.client.get('/api/v1/api-keys')).body.data).toHaveLength(1);
    const other = await buildTenant(app);
    const theirs = await other.owner.client.post(
      '/api/v1/api-keys',
      { name: 'once', role: 'member' },
      { headers: { 'idempotency-key': 'same' } },
    );
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
  });

  it('does not store failed requests', async () => {
    const t = await buildTenant(app);
    const bad = await t.owner.client.post(
      '/api/v1/api-keys',
      { name: '', role: 'member' },
      { headers: { 'idempotency-key': 'retry-me' } },
    );
    expect(bad.status).toBe(400);
    const good = await t.owner.client.post(
      '/api/v1/api-keys',
      { name: 'fixed', role: 'member' },
      { headers: { 'idempotency-key': 'retry-me' } },
    );
    expect(good.status).toBe(201);
  });
});
