import { inTransaction } from '../../data/scoped-transaction.ts';
import type { BillingDeps } from './billing-deps.ts';
import { stripeEventRefs } from './stripe-event-refs.ts';

/** Counts a failed try on an inbox row (kept for the dead-letter list) and when it is retried. */
export async function recordEventFailure(
  deps: Pick<BillingDeps, 'database'>,
  eventId: string,
  error: unknown,
  retryInMs: number,
): Promise<void> {
  await inTransaction(deps.database, {}, (tx) =>
    tx
      .updateTable('stripe_webhook_events')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: errorText(error),
        retry_at: new Date(Date.now() + retryInMs),
      }))
      .where('id', '=', eventId)
      .where('status', '=', 'pending')
      .execute(),
  );
}

/**
 * Gives up on inbox rows after their job's last try: those still pending wait in the dead-letter
 * list for a replay, each under its tenant and with its own last error. Returns their ids.
 */
export async function markEventsDead(
  deps: Pick<BillingDeps, 'database'>,
  eventIds: string[],
  error: unknown,
): Promise<string[]> {
  return inTransaction(deps.database, {}, async (tx) => {
    const rows = await tx
      .selectFrom('stripe_webhook_events')
      .select(['id', 'payload'])
      .where('id', 'in', eventIds)
      .where('status', '=', 'pending')
      .orderBy('id')
      .forUpdate()
      .execute();
    for (const row of rows) {
      const customerId = stripeEventRefs(row.payload as { type: string }).customerId;
      const tenant = customerId
        ? await tx
            .selectFrom('tenants')
            .select('id')
            .where('stripe_customer_id', '=', customerId)
            .executeTakeFirst()
        : undefined;
      await tx
        .updateTable('stripe_webhook_events')
        .set((eb) => ({
          status: 'dead',
          last_error: eb.fn.coalesce('last_error', eb.val(errorText(error))),
          resolved_tenant_id: tenant?.id ?? null,
        }))
        .where('id', '=', row.id)
        .execute();
    }
    return rows.map((r) => r.id);
  });
}

const errorText = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).slice(0, 2000);
