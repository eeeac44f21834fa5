import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  buildTenant,
  createApiKey,
  eventually,
  type SignedInUser,
} from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import type { TestClient } from '../support/test-client.ts';

/**
 * Two API processes on one database (and one Redis when REDIS_URL is set: two app instances
 * sharing REDIS_PREFIX): a change of who may do what made through one holds at once on the other,
 * whatever either process has seen before. Each read is made twice first, so anything that could
 * remember the old answer has had the chance to.
 */
describe('authorization across processes', () => {
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

  /** The same signed-in user, through process B. */
  const onB = (who: SignedInUser, tenant?: string): TestClient => {
    const client = b.client();
    for (const [k, v] of who.client.cookies) client.cookies.set(k, v);
    client.tenant = tenant;
    return client;
  };

  it('tenant settings changed on one process are read fresh on the other', async () => {
    const t = await buildTenant(a);
    const client = onB(t.owner, t.id);
    for (let i = 0; i < 2; i++) expect((await client.get('/api/v1/tenant')).body.name).toBe(t.name);
    await t.owner.client.patch('/api/v1/tenant', { name: 'Renamed on A' });
    expect((await client.get('/api/v1/tenant')).body.name).toBe('Renamed on A');
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

  it('a member demoted on one process loses the role on the other at once', async () => {
    const t = await buildTenant(a);
    const admin = await addMember(a, t, 'admin');
    const client = onB(admin, t.id);
    for (let i = 0; i < 2; i++) expect((await client.get('/api/v1/api-keys')).status).toBe(200);
    await t.owner.client.patch(`/api/v1/members/${admin.user.id}`, { role: 'member' });
    expect((await client.get('/api/v1/api-keys')).status).toBe(403);
    const minted = await client.post('/api/v1/api-keys', { name: 'late', role: 'admin' });
    expect(minted.status).toBe(403);
  });

  it('a removed member loses access on the other process at once, and so do their keys', async () => {
    const t = await buildTenant(a);
    const member = await addMember(a, t, 'admin');
    const key = (await member.client.post('/api/v1/api-keys', { name: 'k', role: 'member' })).body
      .key as string;
    const client = onB(member, t.id);
    const anon = b.client();
    for (let i = 0; i < 2; i++) {
      expect((await client.get('/api/v1/tenant')).status).toBe(200);
      expect((await anon.get('/api/v1/tenant', { apiKey: key })).status).toBe(200);
    }
    await t.owner.client.delete(`/api/v1/members/${member.user.id}`);
    expect((await client.get('/api/v1/tenant')).status).toBe(404);
    expect((await anon.get('/api/v1/tenant', { apiKey: key })).status).toBe(401);
  });

  it('a revocation holds on the other process for every request begun after it answered, while that process keeps reading', async () => {
    const t = await buildTenant(a);
    for (let round = 0; round < 5; round++) {
      const created = await t.owner.client.post('/api/v1/api-keys', {
        name: `k${round}`,
        role: 'member',
      });
      const key = created.body.key as string;
      const anon = b.client();
      expect((await anon.get('/api/v1/tenant', { apiKey: key })).status).toBe(200);
      // Process B keeps answering this key, eight requests in flight, across the revocation:
      // copies of what it read before the revocation committed must not outlive its answer.
      let revokedAt = Infinity;
      let stop = false;
      const late: number[] = [];
      const reader = async () => {
        while (!stop) {
          const startedAt = performance.now();
          const status = (await anon.get('/api/v1/tenant', { apiKey: key })).status;
          if (startedAt > revokedAt) late.push(status);
        }
      };
      const readers = Array.from({ length: 8 }, reader);
      const revoked = await t.owner.client.delete(`/api/v1/api-keys/${created.body.id}`);
      expect(revoked.status).toBe(204);
      revokedAt = performance.now();
      await eventually(async () => late.length >= 16);
      stop = true;
      await Promise.all(readers);
      expect(new Set(late)).toEqual(new Set([401]));
    }
  });

  it('sign-out on one process ends the session on the other', async () => {
    const t = await buildTenant(a);
    const client = onB(t.owner);
    for (let i = 0; i < 2; i++) expect((await client.get('/api/v1/me')).status).toBe(200);
    await t.owner.client.post('/api/v1/auth/logout');
    expect((await client.get('/api/v1/me')).status).toBe(401);
  });
});

describe.runIf(process.env.REDIS_URL)(
  'authorization across processes, one cut off from Redis',
  () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const prefix = `shared-cut-${Date.now()}`;
      a = await startTestApp({ env: { REDIS_PREFIX: prefix } });
      b = await startTestApp({ env: { REDIS_PREFIX: prefix }, database: a.database });
    });
    afterAll(async () => {
      await b.close();
      await a.close();
    });

    it('a revocation made where Redis cannot be reached answers only once the others’ copies have expired', async () => {
      const t = await buildTenant(a);
      const created = await t.owner.client.post('/api/v1/api-keys', {
        name: 'cut',
        role: 'member',
      });
      const anon = b.client();
      for (let i = 0; i < 3; i++) {
        expect((await anon.get('/api/v1/tenant', { apiKey: created.body.key })).status).toBe(200);
      }
      // A loses its Redis connection; B still reaches Redis and holds its lease.
      a.services.redis!.disconnect();
      const revoked = await t.owner.client.delete(`/api/v1/api-keys/${created.body.id}`);
      expect(revoked.status).toBe(204);
      expect((await anon.get('/api/v1/tenant', { apiKey: created.body.key })).status).toBe(401);
    });
  },
);
