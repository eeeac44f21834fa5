import type { Tx } from '../../data/database.ts';
import { AppError } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';

export type WebhookEventStatus = 'pending' | 'processed' | 'ignored' | 'dead';

const present = (r: {
  id: string;
  type: string;
  status: string;
  attempts: number;
  last_error: string | null;
  source: string;
  stripe_created: Date;
  received_at: Date;
  processed_at: Date | null;
}) => ({
  id: r.id,
  type: r.type,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  source: r.source,
  createdAt: r.stripe_created.toISOString(),
  receivedAt: r.received_at.toISOString(),
  processedAt: r.processed_at ? r.processed_at.toISOString() : null,
});

const COLUMNS = [
  'id',
  'type',
  'status',
  'attempts',
  'last_error',
  'source',
  'stripe_created',
  'received_at',
  'processed_at',
] as const;

/**
 * Stripe events that processing tied to this tenant, newest first; `dead` (the default) are those
 * that kept failing and wait for a replay.
 */
export async function listWebhookEvents(
  tx: Tx,
  tenantId: string,
  query: { status?: WebhookEventStatus; limit: number; cursor?: string },
) {
  let q = tx
    .selectFrom('stripe_webhook_events')
    .select(COLUMNS)
    .where('resolved_tenant_id', '=', tenantId)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(query.limit + 1);
  if (query.status) q = q.where('status', '=', query.status);
  if (query.cursor)
    q = q.where(afterCursor(query.cursor, ['received_at', 'timestamp'], ['id', 'text'], 'desc'));
  const rows = await q.execute();
  const page = paginate(rows, query.limit, (r) => [r.received_at.toISOString(), r.id]);
  return { data: page.data.map(present), nextCursor: page.nextCursor };
}

/**
 * Puts one of the tenant's events back to `pending` (attempts reset) so it is processed again.
 * Processing re-reads Stripe, so replaying an event that already applied changes nothing.
 */
export async function replayWebhookEvent(tx: Tx, tenantId: string, eventId: string) {
  const before = await tx
    .selectFrom('stripe_webhook_events')
    .select(['status'])
    .where('id', '=', eventId)
    .where('resolved_tenant_id', '=', tenantId)
    .forUpdate()
    .executeTakeFirst();
  if (!before) throw new AppError('not_found', 'Stripe event not found');
  if (before.status === 'ignored') {
    throw new AppError('conflict', 'This event type is not processed; there is nothing to replay');
  }
  const row = await tx
    .updateTable('stripe_webhook_events')
    .set({ status: 'pending', attempts: 0, last_error: null, processed_at: null })
    .where('id', '=', eventId)
    .where('resolved_tenant_id', '=', tenantId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { before: before.status, event: present(row) };
}
