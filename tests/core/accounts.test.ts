import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTenant, eventually, PASSWORD, signUp, uniq } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { changeIdentityRowsAsOwner, userIdentity } from '../../src/server/data/identity-changes.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('sign-up, sign-in, sign-out', () => {
  it('signs up with a session cookie and a readable csrf cookie', async () => {
    const client = app.client();
    const email = `Ada-${uniq()}@Example.test`;
    const res = await client.post('/api/v1/auth/signup', {
      email,
      password: PASSWORD,
      name: 'Ada',
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email, name: 'Ada' });
    expect(res.body.user).not.toHaveProperty('passwordHash');
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/sid=[^;]+;.*HttpOnly/i);
    expect(setCookie).toMatch(/csrf_token=/);
    const me = await client.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: res.body.user, memberships: [] });
  });

  it('stores argon2id hashes with at least 19 MiB, t=2, p=1', async () => {
    const { user } = await signUp(app);
    const row = await app.database.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    const [, algorithm, , params] = row.password_hash.split('$');
    expect(algorithm).toBe('argon2id');
    const p = Object.fromEntries(params!.split(',').map((kv) => kv.split('=')));
    expect(Number(p.m)).toBeGreaterThanOrEqual(19456);
    expect(Number(p.t)).toBe(2);
    expect(Number(p.p)).toBe(1);
  });

  it('answers a sign-up with a taken email (any case) as if created, and creates nothing usable', async () => {
    const { user } = await signUp(app);
    const fresh = await app.client().post('/api/v1/auth/signup', {
      email: `new-${uniq()}@example.test`,
      password: PASSWORD,
      name: 'X',
    });
    const takenClient = app.client();
    const taken = await takenClient.post('/api/v1/auth/signup', {
      email: user.email.toUpperCase(),
      password: 'another password!',
      name: 'X',
    });
    // Same status, body shape and cookies (names and attributes; the values are random).
    expect(taken.status).toBe(fresh.status);
    expect(Object.keys(taken.body.user).sort()).toEqual(Object.keys(fresh.body.user).sort());
    expect(taken.body.user).toMatchObject({ email: user.email.toUpperCase(), name: 'X' });
    expect(taken.body.user.id).not.toBe(user.id);
    const shape = (r: typeof taken) =>
      r.headers
        .getSetCookie()
        .map((c) => c.replace(/=[^;]*/, '=…').replace(/Expires=[^;]*/i, 'Expires=…'));
    expect(shape(taken)).toEqual(shape(fresh));
    // Nothing usable: the decoy session is nobody, and the account keeps its own password.
    expect((await takenClient.get('/api/v1/me')).status).toBe(401);
    const withNew = await app
      .client()
      .post('/api/v1/auth/login', { email: user.email, password: 'another password!' });
    expect(withNew.status).toBe(401);
    const withOld = await app
      .client()
      .post('/api/v1/auth/login', { email: user.email, password: PASSWORD });
    expect(withOld.status).toBe(200);
    const events = await app.database.db
      .selectFrom('security_events')
      .select('kind')
      .where('email', '=', user.email.toUpperCase())
      .execute();
    expect(events.map((e) => e.kind)).toContain('auth.signup_existing_email');
  });

  it('rejects bad sign-up input with 400', async () => {
    const bad = await app
      .client()
      .post('/api/v1/auth/signup', { email: 'nope', password: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'email',
      'name',
      'password',
    ]);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const { user } = await signUp(app);
    const wrong = await app
      .client()
      .post('/api/v1/auth/login', { email: user.email, password: 'wrong password!' });
    const unknown = await app.client().post('/api/v1/auth/login', {
      email: `nobody-${uniq()}@example.test`,
      password: 'wrong password!',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, instance: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
  });

  it('rotates the session at sign-in and revokes it at sign-out', async () => {
    const { client, user } = await signUp(app);
    const before = client.cookies.get('sid');
    const login = await client.post('/api/v1/auth/login', {
      email: user.email,
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    const after = client.cookies.get('sid');
    expect(after).not.toEqual(before);

    const stale = app.client();
    stale.cookies.set('sid', before!);
    expect((await stale.get('/api/v1/me')).status).toBe(401);

    const kept = app.client();
    kept.cookies.set('sid', after!);
    expect((await client.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await kept.get('/api/v1/me')).status).toBe(401);
    expect((await client.get('/api/v1/me')).status).toBe(401);
  });

  it('expires sessions', async () => {
    const { client, user } = await signUp(app);
    await changeIdentityRowsAsOwner(app.database, [userIdentity(user.id)], (tx) =>
      tx
        .updateTable('sessions')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('user_id', '=', user.id)
        .execute(),
    );
    expect((await client.get('/api/v1/me')).status).toBe(401);
  });

  it('needs X-CSRF-Token equal to the csrf_token cookie on unsafe cookie requests', async () => {
    const { client } = await signUp(app);
    const missing = await client.post(
      '/api/v1/tenants',
      { name: 'X', subdomain: `c-${uniq()}` },
      { noCsrf: true },
    );
    expect(missing.status).toBe(403);
    const wrong = await client.post(
      '/api/v1/tenants',
      { name: 'X', subdomain: `c-${uniq()}` },
      { headers: { 'x-csrf-token': 'forged' } },
    );
    expect(wrong.status).toBe(403);
    const ok = await client.post('/api/v1/tenants', { name: 'X', subdomain: `c-${uniq()}` });
    expect(ok.status).toBe(201);
    // A safe method needs no token.
    expect((await client.get('/api/v1/me', { noCsrf: true })).status).toBe(200);
  });

  it('refuses a csrf token of another session with 403, even in both cookie and header', async () => {
    const victim = await signUp(app);
    const attacker = await signUp(app);
    const planted = attacker.client.cookies.get('csrf_token')!;
    victim.client.cookies.set('csrf_token', planted);
    const res = await victim.client.post(
      '/api/v1/tenants',
      { name: 'X', subdomain: `c-${uniq()}` },
      { headers: { 'x-csrf-token': planted } },
    );
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    // The answer gives the session its own token back: the next try passes.
    expect(victim.client.cookies.get('csrf_token')).not.toBe(planted);
    const retry = await victim.client.post('/api/v1/tenants', {
      name: 'X',
      subdomain: `c-${uniq()}`,
    });
    expect(retry.status).toBe(201);
  });

  it('records a failed sign-in in the workspaces off the response path', async () => {
    const t = await buildTenant(app);
    const other = await t.owner.client.post(
      '/api/v1/tenants',
      { name: 'Second', subdomain: `s-${uniq()}` },
      { tenant: '' },
    );
    expect(other.status).toBe(201);
    const failedIn = async (tenantId: string) =>
      (
        await app.database.db
          .selectFrom('audit_events')
          .select('action')
          .where('tenant_id', '=', tenantId)
          .where('action', '=', 'security.login_failed')
          .execute()
      ).length;
    // With the worker stopped, the answer still comes, with the global event written and none
    // of the per-workspace ones: they are not on the response path.
    await app.stopWorkerRole();
    try {
      const res = await app
        .client()
        .post('/api/v1/auth/login', { email: t.owner.user.email, password: 'wrong password!' });
      expect(res.status).toBe(401);
      const global = await app.database.db
        .selectFrom('security_events')
        .select('kind')
        .where('email', '=', t.owner.user.email)
        .execute();
      expect(global.map((e) => e.kind)).toEqual(['auth.login_failed']);
      expect(await failedIn(t.id)).toBe(0);
      expect(await failedIn(other.body.id)).toBe(0);
    } finally {
      await app.startWorkerRole();
    }
    await eventually(
      async () => (await failedIn(t.id)) === 1 && (await failedIn(other.body.id)) === 1,
    );
  });

  it('throttles sign-in per account with 429 and Retry-After, and records failures', async () => {
    const { user } = await signUp(app);
    let last;
    for (let i = 0; i < 11; i++) {
      last = await app
        .client()
        .post('/api/v1/auth/login', { email: user.email, password: 'wrong password!' });
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password is refused while throttled.
    const right = await app
      .client()
      .post('/api/v1/auth/login', { email: user.email, password: PASSWORD });
    expect(right.status).toBe(429);
    const events = await app.database.db
      .selectFrom('security_events')
      .select('kind')
      .where('email', '=', user.email)
      .execute();
    expect(events.filter((e) => e.kind === 'auth.login_failed')).toHaveLength(10);
    expect(events.some((e) => e.kind === 'auth.login_throttled')).toBe(true);
  });

  it('answers 401 without a session', async () => {
    const res = await app.client().get('/api/v1/me');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ status: 401, title: 'Not signed in' });
  });
});
