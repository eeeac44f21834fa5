import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { setScope } from '../../data/scoped-transaction.ts';
import { AppError } from '../../errors.ts';
import { newId, randomToken, sha256Hex } from '../../lib/ids.ts';
import { recordAuditEvent, type RequestMeta } from '../audit/record-audit-event.ts';
import { brandedHtml, linkButton, mailBrand, paragraph } from '../mail/compose.ts';
import { mailDomain, type MailSettings } from '../mail/outbox.ts';
import { recordSecurityEvent } from './security-events.ts';
import { normalizeEmail } from './users.ts';
import { announceIdentityChanges, userIdentity } from '../../data/identity-changes.ts';

/** How long a reset link works. */
export const PASSWORD_RESET_TTL_MS = 60 * 60_000;
/** Links a person may ask for within one TTL; beyond, a request sends nothing more. */
const MAX_OPEN_RESETS = 5;

/**
 * Starts a password reset: for an account with this email, a single-use token (256 random bits,
 * stored as its SHA-256) and an e-mail with its link in the system outbox (a person's mail, not a
 * workspace's). An unknown email does the same lookups and writes only the security event, and
 * the caller answers 202 either way, so the answer does not tell which emails have accounts.
 */
export async function requestPasswordReset(
  tx: Tx,
  email: string,
  meta: RequestMeta,
  mail: MailSettings & { appUrl: string },
): Promise<void> {
  await recordSecurityEvent(tx, 'auth.password_reset_requested', email, meta);
  const user = await tx
    .selectFrom('users')
    .select(['id', 'email', 'name'])
    .where('email_normalized', '=', normalizeEmail(email))
    .executeTakeFirst();
  const open = await tx
    .selectFrom('password_reset_tokens')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('user_id', '=', user?.id ?? '00000000-0000-0000-0000-000000000000')
    .where('used_at', 'is', null)
    .where('expires_at', '>', new Date())
    .executeTakeFirstOrThrow();
  if (!user || open.n >= MAX_OPEN_RESETS) return;
  const token = `pwr_${randomToken(32)}`;
  const expiresAt = new Date(Date.now() + PASSWORD_RESET_TTL_MS);
  await tx
    .insertInto('password_reset_tokens')
    .values({
      token_hash: sha256Hex(token),
      user_id: user.id,
      created_at: new Date(),
      expires_at: expiresAt,
      ip: meta.ip,
    })
    .execute();
  const link = `${mail.appUrl}/reset-password?token=${encodeURIComponent(token)}`;
  const brand = mailBrand(mail.defaultFromName, {});
  const intro = `Someone (hopefully you) asked to reset the password of the ROI Spectrum account ${user.email}.`;
  const rest =
    'The link works once, for one hour. If you did not ask for it, ignore this e-mail: your password stays as it is.';
  const id = newId();
  await tx
    .insertInto('system_outbox_messages')
    .values({
      id,
      kind: 'password_reset',
      user_id: user.id,
      to_addresses: [user.email],
      from_name: mail.defaultFromName,
      subject: 'Reset your ROI Spectrum password',
      text_body: `${intro}\n\nChoose a new password: ${link}\n\n${rest}\n`,
      html_body: brandedHtml(
        brand,
        paragraph(intro) + linkButton(link, 'Choose a new password', brand.color) + paragraph(rest),
      ),
      attachments: '[]',
      message_id: `<${id}@${mailDomain(mail.fromAddress)}>`,
      next_attempt_at: new Date(),
      created_at: new Date(),
    })
    .execute();
}

/**
 * Completes a reset: the token must be unused and unexpired (else 400). Sets the password hash
 * (hashed by the caller before the transaction), uses up every open link of the account, revokes
 * every session, and records the change in each of the user's workspaces' audit logs and as a
 * security event.
 */
export async function confirmPasswordReset(
  tx: Tx,
  token: string,
  passwordHash: string,
  meta: RequestMeta,
): Promise<{ userId: string }> {
  const row = await tx
    .selectFrom('password_reset_tokens')
    .innerJoin('users', 'users.id', 'password_reset_tokens.user_id')
    .select([
      'password_reset_tokens.user_id',
      'password_reset_tokens.used_at',
      'password_reset_tokens.expires_at',
      'users.email',
    ])
    .where('password_reset_tokens.token_hash', '=', sha256Hex(token))
    .forUpdate(['password_reset_tokens'])
    .executeTakeFirst();
  if (!row || row.used_at || row.expires_at <= new Date()) {
    throw new AppError('validation', 'This reset link is not valid: it was used, or it expired', {
      errors: [{ path: 'token', message: 'used, expired or unknown; ask for a new link' }],
    });
  }
  const now = new Date();
  await tx
    .updateTable('password_reset_tokens')
    .set({ used_at: now })
    .where('user_id', '=', row.user_id)
    .where('used_at', 'is', null)
    .execute();
  await announceIdentityChanges(tx, [userIdentity(row.user_id)]);
  await tx
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: now })
    .where('id', '=', row.user_id)
    .execute();
  await tx
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('user_id', '=', row.user_id)
    .where('revoked_at', 'is', null)
    .execute();
  await recordSecurityEvent(tx, 'auth.password_reset', row.email, meta);
  await setScope(tx, { userId: row.user_id });
  const tenants = await tx
    .selectFrom('memberships')
    .select('tenant_id')
    .where('user_id', '=', row.user_id)
    .execute();
  for (const { tenant_id } of tenants) {
    await setScope(tx, { tenantId: tenant_id, userId: row.user_id });
    await recordAuditEvent(
      tx,
      tenant_id,
      { type: 'user', id: row.user_id, label: row.email },
      meta,
      {
        action: 'user.password_reset',
        target: { type: 'user', id: row.user_id },
        changes: { sessionsRevoked: true },
      },
    );
  }
  return { userId: row.user_id };
}
