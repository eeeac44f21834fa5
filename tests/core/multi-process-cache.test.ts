import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTenant, createApiKey } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Two API processes on one database and one Redis (two app instances sharing REDIS_PREFIX): a
 * change through one is seen at once through the other, whatever either has cached. Each read is
 * made twice first: the first fills Redis, the second the reading process's own copy.
 */
describe.runIf(process.env.REDIS_URL)('cache invalidation across processes', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const prefix = `shared-${Date.now()}`;
    a = await startTestApp({ env: { REDIS_PREFIX: prefix } });
    b = await startTestApp({ env: { REDIS_PREFIX: prefix }, database: a.database });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('tenant settings changed on one process are read fresh on the other', async () => {
    const t = await buildTenant(a);
    const onB = b.client();
    for (const [k, v] of t.owner.client.cookies) onB.cookies.set(k, v);
    onB.tenant = t.id;
    for (let i = 0; i < 2; i++) expect((await onB.get('/api/v1/tenant')).body.name).toBe(t.name);
    await t.owner.client.patch('/api/v1/tenant', { name: 'Renamed on A' });
    expect((await onB.get('/api/v1/tenant')).body.name).toBe('Renamed on A');
  });

  it('an API key revoked on one process fails on the other at the next request', async () => {
    const t = await buildTenant(a);
    const key = await createApiKey(t, 'admin');
    const anon = b.client();
    for (let i = 0; i < 2; i++) {
      expect((await anon.get('/api/v1/tenant', { apiKey: key })).status).toBe(200);
    }
    const list = await t.owner.client.get('/api/v1/api-keys');
    await t.owner.client.delete(`/api/v1/api-keys/${list.body.data[0].id}`);
    expect((await anon.get('/api/v1/tenant', { apiKey: key })).status).toBe(401);
  });

  it('a removed member loses access on the other process at once', async () => {
    const t = await buildTenant(a);
    const { addMember } = await import('../support/factories.ts');
    const member = await addMember(a, t, 'member');
    const onB = b.client();
    for (const [k, v] of member.client.cookies) onB.cookies.set(k, v);
    onB.tenant = t.id;
    for (let i = 0; i < 2; i++) expect((await onB.get('/api/v1/tenant')).status).toBe(200);
    await t.owner.client.delete(`/api/v1/members/${member.user.id}`);
    expect((await onB.get('/api/v1/tenant')).status).toBe(404);
  });

  it('sign-out on one process ends the session on the other', async () => {
    const t = await buildTenant(a);
    const onB = b.client();
    for (const [k, v] of t.owner.client.cookies) onB.cookies.set(k, v);
    for (let i = 0; i < 2; i++) expect((await onB.get('/api/v1/me')).status).toBe(200);
    await t.owner.client.post('/api/v1/auth/logout');
    expect((await onB.get('/api/v1/me')).status).toBe(401);
  });
});
