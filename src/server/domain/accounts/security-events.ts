import type { Tx } from '../../data/database.ts';
import { newId } from '../../lib/ids.ts';
import type { RequestMeta } from '../audit/record-audit-event.ts';

/**
 * Appends a security event that belongs to no workspace (a failed sign-in, a sign-up with an
 * email that already has an account); returns its id.
 */
export async function recordSecurityEvent(
  tx: Tx,
  kind: string,
  email: string,
  meta: RequestMeta,
): Promise<string> {
  const id = newId();
  await tx
    .insertInto('security_events')
    .values({
      id,
      occurred_at: new Date(),
      kind,
      email: email.slice(0, 254),
      ip: meta.ip,
      user_agent: meta.userAgent,
      request_id: meta.requestId,
    })
    .execute();
  return id;
}
