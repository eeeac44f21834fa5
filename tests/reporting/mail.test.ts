import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import {
  addMember,
  buildTenant,
  eventually,
  PASSWORD,
  setPlan,
  signUp,
  uniq,
} from '../support/factories.ts';
import { passwordResetToken, tokenFromText } from '../support/mail.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { auditActions } from '../roi/helpers.ts';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
} from '../../src/server/data/identity-changes.ts';

/**
 * Mail through the outbox: kept queued without SMTP_URL, delivered to a real SMTP server (on
 * 127.0.0.1) with it. The app without SMTP_URL runs first; the one with it is started afterwards
 * on the same database, so it also sends what the first one left queued.
 */
let plain: TestApp;
let smtp: TestSmtpServer;
let mailing: TestApp | null = null;
beforeAll(async () => {
  plain = await startTestApp();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await mailing?.close();
  await plain.close();
  await smtp.close();
});

const startMailing = async () =>
  (mailing ??= await startTestApp({
    env: { SMTP_URL: smtp.url, MAIL_POLL_MS: '100', MAIL_FROM: 'Reports <reports@roi.test>' },
  }));
const receivedBy = (address: string) => smtp.received.filter((m) => m.envelopeTo.includes(address));

describe('outbox and mail delivery', () => {
  let queuedInvite: { tenantId: string; email: string };

  it('without SMTP_URL an invitation e-mail stays queued in the outbox, readable by managers only', async () => {
    const tenant = await buildTenant(plain, 'Queued Agency');
    await setPlan(plain, tenant, 'pro');
    const email = `invitee-${uniq()}@example.test`;
    const invite = await tenant.owner.client.post('/api/v1/invitations', { email, role: 'member' });
    expect(invite.status, invite.text).toBe(201);
    expect(invite.body.acceptUrl).toContain('/invite?token=');

    const list = await tenant.owner.client.get('/api/v1/outbox');
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({
        kind: 'invitation',
        to: [email],
        subject: 'Join Queued Agency on ROI Spectrum',
        status: 'queued',
        sentAt: null,
      }),
    ]);
    const detail = await tenant.owner.client.get(`/api/v1/outbox/${list.body.data[0].id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.text).toContain(invite.body.acceptUrl);
    expect(detail.body.html).toContain(invite.body.acceptUrl.replaceAll('&', '&amp;'));
    expect(detail.body.fromName).toBe('ROI Spectrum');
    expect(detail.body.messageId).toMatch(/^<[0-9a-f-]+@localhost>$/);

    const member = await addMember(plain, tenant, 'member');
    const client = await addMember(plain, tenant, 'client');
    expect((await member.client.get('/api/v1/outbox')).status).toBe(403);
    expect((await client.client.get('/api/v1/outbox')).status).toBe(403);
    expect((await client.client.get(`/api/v1/outbox/${detail.body.id}`)).status).toBe(403);
    const stranger = await buildTenant(plain);
    expect((await stranger.owner.client.get(`/api/v1/outbox/${detail.body.id}`)).status).toBe(404);
    expect((await stranger.owner.client.get('/api/v1/outbox', { tenant: tenant.id })).status).toBe(
      404,
    );
    // Still queued once this app's worker has had its turns: nothing sends without SMTP_URL.
    const after = await tenant.owner.client.get(`/api/v1/outbox/${detail.body.id}`);
    expect(after.body).toMatchObject({ status: 'queued', attempts: 0 });
    queuedInvite = { tenantId: tenant.id, email };
  });

  it('with SMTP_URL the worker delivers queued mail with its Message-ID and the branded From', async () => {
    const app = await startMailing();
    // What the first app left queued goes out once a mail server is configured.
    const first = await eventually(async () => receivedBy(queuedInvite.email)[0], 15_000);
    expect(first.parsed.subject).toBe('Join Queued Agency on ROI Spectrum');

    const tenant = await buildTenant(app, 'Branded Agency');
    await changeIdentityRowsAsOwner(app.database, [tenantIdentity(tenant.id)], (tx) =>
      tx
        .updateTable('tenants')
        .set({ branding: JSON.stringify({ displayName: 'Brand & Co', primaryColor: '#aa3300' }) })
        .where('id', '=', tenant.id)
        .execute(),
    );
    const email = `invitee-${uniq()}@example.test`;
    const invite = await tenant.owner.client.post('/api/v1/invitations', { email, role: 'member' });
    expect(invite.status, invite.text).toBe(201);
    const mail = await eventually(async () => receivedBy(email)[0], 15_000);
    expect(mail.parsed.from?.value).toEqual([{ name: 'Brand & Co', address: 'reports@roi.test' }]);
    expect(mail.parsed.text).toContain(invite.body.acceptUrl);
    expect(String(mail.parsed.html)).toContain('#aa3300');
    const row = await eventually(async () => {
      const list = await tenant.owner.client.get('/api/v1/outbox');
      const item = list.body.data[0];
      return item?.status === 'sent' ? item : null;
    });
    const detail = await tenant.owner.client.get(`/api/v1/outbox/${row.id}`);
    expect(mail.messageId).toBe(detail.body.messageId);
    expect(detail.body.messageId).toMatch(/@roi\.test>$/);
    expect(detail.body.sentAt).toEqual(expect.any(String));
    expect(receivedBy(email)).toHaveLength(1);
  });

  it('a message the server refuses (5xx) is marked failed with its error, and not retried', async () => {
    const app = await startMailing();
    const tenant = await buildTenant(app);
    smtp.rejectWith = 550;
    try {
      const email = `refused-${uniq()}@example.test`;
      expect(
        (await tenant.owner.client.post('/api/v1/invitations', { email, role: 'member' })).status,
      ).toBe(201);
      const failed = await eventually(async () => {
        const list = await tenant.owner.client.get('/api/v1/outbox?status=failed');
        return list.body.data[0];
      }, 15_000);
      expect(failed.error).toContain('Mailbox unavailable');
      expect(receivedBy(email)).toHaveLength(0);
    } finally {
      smtp.rejectWith = null;
    }
  });

  it('password reset: 202 for any email, one single-use link that expires, sessions revoked, audited', async () => {
    const app = await startMailing();
    const tenant = await buildTenant(app);
    const { user, client } = tenant.owner;
    const unknown = await app.client().post('/api/v1/auth/password-reset', {
      email: `nobody-${uniq()}@example.test`,
    });
    expect(unknown.status).toBe(202);
    expect(unknown.text).toBe('');
    const bad = await app.client().post('/api/v1/auth/password-reset', { email: 'x'.repeat(300) });
    expect(bad.status).toBe(400);

    const token = await passwordResetToken(app, user.email);
    const mail = await eventually(async () => receivedBy(user.email)[0], 15_000);
    expect(mail.parsed.subject).toBe('Reset your ROI Spectrum password');
    expect(tokenFromText(mail.parsed.text ?? '')).toBe(token);
    expect(mail.parsed.text).toContain(`${app.config.appUrl}/reset-password?token=`);
    // Stored hashed only.
    const stored = await app.database.db
      .selectFrom('password_reset_tokens')
      .select('token_hash')
      .where('user_id', '=', user.id)
      .execute();
    expect(stored.map((r) => r.token_hash)).not.toContain(token);

    const short = await app
      .client()
      .post('/api/v1/auth/password-reset/confirm', { token, password: 'short' });
    expect(short.status).toBe(400);
    const newPassword = 'a brand new passphrase';
    const ok = await app
      .client()
      .post('/api/v1/auth/password-reset/confirm', { token, password: newPassword });
    expect(ok.status, ok.text).toBe(204);
    // The old session is revoked, the old password no longer works, the new one does.
    expect((await client.get('/api/v1/me')).status).toBe(401);
    expect(
      (await app.client().post('/api/v1/auth/login', { email: user.email, password: PASSWORD }))
        .status,
    ).toBe(401);
    expect(
      (await app.client().post('/api/v1/auth/login', { email: user.email, password: newPassword }))
        .status,
    ).toBe(200);
    const reused = await app
      .client()
      .post('/api/v1/auth/password-reset/confirm', { token, password: 'yet another passphrase' });
    expect(reused.status).toBe(400);
    expect(await auditActions(app, tenant.id)).toContain('user.password_reset');

    // An expired link is refused like a used one.
    const other = await signUp(app);
    const expiring = await passwordResetToken(app, other.user.email);
    await app.database.db
      .updateTable('password_reset_tokens')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('user_id', '=', other.user.id)
      .execute();
    const expired = await app
      .client()
      .post('/api/v1/auth/password-reset/confirm', { token: expiring, password: newPassword });
    expect(expired.status).toBe(400);
    expect(expired.body.errors[0].path).toBe('token');
    const garbage = await app
      .client()
      .post('/api/v1/auth/password-reset/confirm', { token: 'pwr_nope', password: newPassword });
    expect(garbage.status).toBe(400);
    expect(garbage.body).toEqual({ ...expired.body, instance: garbage.body.instance });
  });
});

describe('password reset links', () => {
  const confirm = (app: TestApp, token: string, password: string) =>
    app.client().post('/api/v1/auth/password-reset/confirm', { token, password });
  const signsIn = async (app: TestApp, email: string, password: string) =>
    (await app.client().post('/api/v1/auth/login', { email, password })).status === 200;
  const count = async (table: 'password_reset_tokens' | 'system_outbox_messages') =>
    (
      await plain.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;

  it('an unknown email gets the same 202 and nothing is written but the security event', async () => {
    const email = `nobody-${uniq()}@example.test`;
    const [tokens, mails] = [
      await count('password_reset_tokens'),
      await count('system_outbox_messages'),
    ];
    const res = await plain.client().post('/api/v1/auth/password-reset', { email });
    expect(res.status).toBe(202);
    expect(Number(await count('password_reset_tokens'))).toBe(Number(tokens));
    expect(Number(await count('system_outbox_messages'))).toBe(Number(mails));
    const events = await plain.database.db
      .selectFrom('security_events')
      .select('kind')
      .where('email', '=', email)
      .execute();
    expect(events.map((e) => e.kind)).toEqual(['auth.password_reset_requested']);
  });

  it('setting a password with one link uses up every other open link of the account', async () => {
    const { user } = await signUp(plain);
    const first = await passwordResetToken(plain, user.email);
    const second = await passwordResetToken(plain, user.email);
    expect(second).not.toBe(first);
    expect((await confirm(plain, second, 'the second passphrase')).status).toBe(204);
    const stale = await confirm(plain, first, 'the first passphrase');
    expect(stale.status).toBe(400);
    expect(stale.body.errors[0].path).toBe('token');
    expect(await signsIn(plain, user.email, 'the second passphrase')).toBe(true);
    expect(await signsIn(plain, user.email, 'the first passphrase')).toBe(false);
  });

  it('one link used twice at the same moment sets one password: one 204, one 400', async () => {
    const { user } = await signUp(plain);
    const token = await passwordResetToken(plain, user.email);
    const [a, b] = await Promise.all([
      confirm(plain, token, 'racing passphrase one'),
      confirm(plain, token, 'racing passphrase two'),
    ]);
    expect([a.status, b.status].sort()).toEqual([204, 400]);
    const winner = a.status === 204 ? 'racing passphrase one' : 'racing passphrase two';
    const loser = a.status === 204 ? 'racing passphrase two' : 'racing passphrase one';
    expect(await signsIn(plain, user.email, winner)).toBe(true);
    expect(await signsIn(plain, user.email, loser)).toBe(false);
  });

  it('asking again and again for one email sends at most five links; each answer is still 202', async () => {
    const { user } = await signUp(plain);
    for (let i = 0; i < 7; i++) {
      const res = await plain.client().post('/api/v1/auth/password-reset', { email: user.email });
      expect(res.status).toBe(202);
    }
    const sent = await plain.database.db
      .selectFrom('system_outbox_messages')
      .select('id')
      .where('user_id', '=', user.id)
      .where('kind', '=', 'password_reset')
      .execute();
    expect(sent).toHaveLength(5);
  });
});
