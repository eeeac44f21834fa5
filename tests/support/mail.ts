import { expect } from 'vitest';
import type { TestApp } from './test-app.ts';

/**
 * Asks for a password reset for `email` through the API and reads the token from the e-mail
 * written to the system outbox (as the recipient would from the message).
 */
export async function passwordResetToken(app: TestApp, email: string): Promise<string> {
  const res = await app.client().post('/api/v1/auth/password-reset', { email });
  expect(res.status, res.text).toBe(202);
  const row = await app.database.db
    .selectFrom('system_outbox_messages')
    .innerJoin('users', 'users.id', 'system_outbox_messages.user_id')
    .select('system_outbox_messages.text_body')
    .where('users.email', '=', email)
    .orderBy('system_outbox_messages.created_at', 'desc')
    .executeTakeFirstOrThrow();
  return tokenFromText(row.text_body);
}

/** The reset token in a message's text (`…/reset-password?token=…`). */
export function tokenFromText(text: string): string {
  const match = /reset-password\?token=([^\s]+)/.exec(text);
  expect(match, text).not.toBeNull();
  return decodeURIComponent(match![1]!);
}
