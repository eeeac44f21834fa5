import type { Database } from '../../data/database.ts';
import { inTransaction, setScope } from '../../data/scoped-transaction.ts';
import { newId } from '../../lib/ids.ts';
import { recordAuditEvent, type RequestMeta } from '../audit/record-audit-event.ts';
import { normalizeEmail } from './users.ts';

/**
 * Records a failed sign-in: always as a global security event, and for a known account also in
 * the audit log of every workspace it belongs to, so owners see attacks on their members.
 */
export async function recordFailedSignIn(
  database: Database,
  email: string,
  reason: 'invalid_credentials' | 'throttled',
  meta: RequestMeta,
): Promise<void> {
  await inTransaction(database, {}, async (tx) => {
    await tx
      .insertInto('security_events')
      .values({
        id: newId(),
        occurred_at: new Date(),
        kind: `auth.login_${reason === 'throttled' ? 'throttled' : 'failed'}`,
        email: email.slice(0, 254),
        ip: meta.ip,
        user_agent: meta.userAgent,
        request_id: meta.requestId,
      })
      .execute();
    const user = await tx
      .selectFrom('users')
      .select(['id', 'email'])
      .where('email_normalized', '=', normalizeEmail(email))
      .executeTakeFirst();
    if (!user) return;
    await setScope(tx, { userId: user.id });
    const tenants = await tx
      .selectFrom('memberships')
      .select('tenant_id')
      .where('user_id', '=', user.id)
      .execute();
    for (const { tenant_id } of tenants) {
      await setScope(tx, { tenantId: tenant_id, userId: user.id });
      await recordAuditEvent(
        tx,
        tenant_id,
        { type: 'user', id: user.id, label: user.email },
        meta,
        {
          action: reason === 'throttled' ? 'security.login_throttled' : 'security.login_failed',
          target: { type: 'user', id: user.id },
        },
      );
    }
  });
}
