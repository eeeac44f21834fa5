import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
  userIdentity,
} from '../../src/server/data/identity-changes.ts';
import { addMember, buildTenant, createApiKey } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The rows a request's caller is read from (sessions, users, memberships, API keys, tenants) can
 * only change when the change declares which cached callers it affects (migrations/0070), so no
 * write path can leave a copy serving after it. With Redis, callers are served from the process's
 * copy; these tests show both the copy and the guard that keeps it honest.
 */
describe('identity changes', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  /** Runs `change` as the owner role in a transaction that declares `declared`. */
  const asOwner = (declared: string, change: string) =>
    app.database.db.transaction().execute(async (tx) => {
      await sql`SELECT set_config('app.identity_changes', ${declared}, true)`.execute(tx);
      await sql.raw(change).execute(tx);
    });

  it('the database refuses an undeclared update or delete of those rows, and takes a declared one', async () => {
    const t = await buildTenant(app);
    const member = await addMember(app, t, 'member');
    await createApiKey(t, 'member');
    const user = member.user.id;
    const changes: [string, string][] = [
      [`UPDATE tenants SET name = 'x' WHERE id = '${t.id}'`, `t:${t.id}`],
      [`UPDATE api_keys SET name = 'x' WHERE tenant_id = '${t.id}'`, `t:${t.id}`],
      [`UPDATE users SET name = 'x' WHERE id = '${user}'`, `u:${user}`],
      [
        `UPDATE sessions SET expires_at = now() + interval '1 day' WHERE user_id = '${user}'`,
        `u:${user}`,
      ],
      [`UPDATE memberships SET role = 'client' WHERE user_id = '${user}'`, `u:${user} t:${t.id}`],
      [`DELETE FROM memberships WHERE user_id = '${user}'`, `u:${user} t:${t.id}`],
    ];
    for (const [change, needed] of changes) {
      await expect(asOwner('', change), change).rejects.toThrow(
        /identity change [ut]:\S+ not declared/,
      );
      // Declaring one of two namespaces is not enough.
      if (needed.includes(' ')) {
        await expect(asOwner(needed.split(' ')[0]!, change), change).rejects.toThrow(
          /not declared/,
        );
      }
    }
    // Nothing was written.
    expect((await t.owner.client.get('/api/v1/tenant')).body.name).toBe(t.name);
    for (const [change, needed] of changes) await asOwner(needed, change);
    await app.database.onIdentityChange?.(tenantIdentity(t.id));
    expect((await t.owner.client.get('/api/v1/tenant')).body.name).toBe('x');
    expect((await member.client.get('/api/v1/tenant')).status).toBe(404);
  });

  it('a revoked key and an expired session change without a declaration: nobody can be served them', async () => {
    const t = await buildTenant(app);
    const key = await createApiKey(t, 'member');
    const list = await t.owner.client.get('/api/v1/api-keys');
    expect((await t.owner.client.delete(`/api/v1/api-keys/${list.body.data[0].id}`)).status).toBe(
      204,
    );
    expect((await app.client().get('/api/v1/tenant', { apiKey: key })).status).toBe(401);
    await asOwner('', `UPDATE api_keys SET name = 'old' WHERE tenant_id = '${t.id}'`);
    await changeIdentityRowsAsOwner(app.database, [userIdentity(t.owner.user.id)], (tx) =>
      tx
        .updateTable('sessions')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('user_id', '=', t.owner.user.id)
        .execute(),
    );
    await asOwner('', `DELETE FROM sessions WHERE user_id = '${t.owner.user.id}'`);
  });

  it('a caller is read once per process with Redis (a change that skips the drop is not seen), at every request without it', async () => {
    const t = await buildTenant(app);
    const key = await createApiKey(t, 'admin');
    const anon = app.client();
    for (let i = 0; i < 3; i++) {
      expect((await anon.get('/api/v1/api-keys', { apiKey: key })).status).toBe(200);
    }
    // The key's creator demoted behind the application's back: declared, so the database takes
    // it, but nothing drops the copies.
    await asOwner(
      `u:${t.owner.user.id} t:${t.id}`,
      `UPDATE memberships SET role = 'client' WHERE tenant_id = '${t.id}'`,
    );
    const unseen = (await anon.get('/api/v1/api-keys', { apiKey: key })).status;
    expect(unseen).toBe(process.env.REDIS_URL ? 200 : 403);
    // What the application does after such a commit: every process drops the copies.
    await app.database.onIdentityChange?.(tenantIdentity(t.id));
    expect((await anon.get('/api/v1/api-keys', { apiKey: key })).status).toBe(403);
  });
});
