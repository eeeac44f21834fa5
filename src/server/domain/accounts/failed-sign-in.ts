import type { Database } from '../../data/database.ts';
import { inTransaction, setScope } from '../../data/scoped-transaction.ts';
import type { JobQueue } from '../../infra/queue/job-queue.ts';
import type { Logger } from '../../logger.ts';
import { recordAuditEvent, type RequestMeta } from '../audit/record-audit-event.ts';
import { recordSecurityEvent } from './security-events.ts';
import { normalizeEmail } from './users.ts';

/** The queue that copies failed sign-ins into the audit log of the account's workspaces. */
export const SECURITY_AUDIT_QUEUE = 'security-audit';

type FailedSignInReason = 'invalid_credentials' | 'throttled';

/** A failed sign-in to copy into the workspaces of the account it named, if any. */
export interface FailedSignInJob {
  email: string;
  reason: FailedSignInReason;
  meta: RequestMeta;
}

/**
 * Records a failed sign-in as one global security event, whether or not the email has an account,
 * then enqueues its copy into the audit log of every workspace of that account (owners see
 * attacks on their members). So the answer costs the same for every email: the per-workspace
 * writes, which grow with the account's workspaces, run in the worker, off the response path.
 */
export async function recordFailedSignIn(
  services: { database: Database; queue: JobQueue; logger: Logger },
  email: string,
  reason: FailedSignInReason,
  meta: RequestMeta,
): Promise<void> {
  const kind = `auth.login_${reason === 'throttled' ? 'throttled' : 'failed'}`;
  const id = await inTransaction(services.database, {}, (tx) =>
    recordSecurityEvent(tx, kind, email, meta),
  );
  const job: FailedSignInJob = { email: email.slice(0, 254), reason, meta };
  // The global event is stored: a queue that is down costs the workspace copies, not the answer.
  await services.queue
    .enqueue(SECURITY_AUDIT_QUEUE, 'failed-sign-in', job, { jobId: `signin-${id}` })
    .catch((err: unknown) => services.logger.error({ err }, 'failed sign-in not queued for audit'));
}

/**
 * Appends a failed sign-in to the audit log of every workspace of the account `job.email` names
 * (none for an unknown email), in one transaction: a retried job writes all or nothing.
 */
export async function auditFailedSignIn(database: Database, job: FailedSignInJob): Promise<void> {
  await inTransaction(database, {}, async (tx) => {
    const user = await tx
      .selectFrom('users')
      .select(['id', 'email'])
      .where('email_normalized', '=', normalizeEmail(job.email))
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
        job.meta,
        {
          action: job.reason === 'throttled' ? 'security.login_throttled' : 'security.login_failed',
          target: { type: 'user', id: user.id },
        },
      );
    }
  });
}
