import {
  PasswordResetConfirmBody,
  PasswordResetRequestBody,
} from '../../shared/schemas/accounts.ts';
import { confirmPasswordReset, requestPasswordReset } from '../domain/accounts/password-reset.ts';
import { hashPassword } from '../domain/accounts/passwords.ts';
import { normalizeEmail } from '../domain/accounts/users.ts';
import { mailSettingsOf } from '../domain/mail/outbox.ts';
import { defineRoute } from '../http/define-route.ts';

/** Reset links asked for one email (and from one address) within 15 minutes. */
const RESETS_PER_EMAIL = 5;
const RESETS_PER_IP = 30;
const RESET_WINDOW_SECONDS = 15 * 60;

export const passwordResetRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/password-reset',
    tag: 'Accounts',
    summary: 'Ask for a password reset link',
    description:
      'Always 202, whether or not the email has an account, so the answer does not tell which do. An account gets an e-mail with a single-use link to <APP_URL>/reset-password?token=… valid for one hour. Asking often for one email or from one address sends nothing more for a while (still 202).',
    body: PasswordResetRequestBody,
    responses: { 202: { description: 'Accepted' } },
    async prepare({ services, meta }, { body }) {
      const [perEmail, perIp] = await Promise.all([
        services.rateLimiter.hit(
          `pwreset:acct:${normalizeEmail(body.email)}`,
          RESETS_PER_EMAIL,
          RESET_WINDOW_SECONDS,
        ),
        services.rateLimiter.hit(`pwreset:ip:${meta.ip}`, RESETS_PER_IP, RESET_WINDOW_SECONDS),
      ]);
      return { allowed: perEmail.allowed && perIp.allowed };
    },
    async handler(ctx, { body, prepared }) {
      if (prepared.allowed) {
        const { config } = ctx.services;
        await requestPasswordReset(ctx.tx, body.email, ctx.meta, {
          ...mailSettingsOf(config),
          appUrl: config.appUrl,
        });
      }
      return { status: 202 };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/api/v1/auth/password-reset/confirm',
    tag: 'Accounts',
    summary: 'Set a new password with a reset link',
    description:
      'The token of the e-mailed link and the new password. A used, expired or unknown token is 400. Every session of the account is revoked; the change is recorded in each of its workspaces’ audit logs.',
    body: PasswordResetConfirmBody,
    responses: { 204: { description: 'Password changed; sign in again' } },
    // Hashed before the transaction opens: argon2 must not hold the database.
    prepare: (_ctx, { body }) => hashPassword(body.password),
    async handler(ctx, { body, prepared: passwordHash }) {
      await confirmPasswordReset(ctx.tx, body.token, passwordHash, ctx.meta);
      return { status: 204 };
    },
  }),
];
