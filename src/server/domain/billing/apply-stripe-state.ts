import { sql } from 'kysely';
import { inTransaction, setScope } from '../../data/scoped-transaction.ts';
import type { ItemResult } from '../../lib/micro-batch.ts';
import type { Actor } from '../audit/record-audit-event.ts';
import { applyInvoice } from './apply-invoice.ts';
import { applySubscription } from './apply-subscription.ts';
import type { BillingDeps } from './billing-deps.ts';
import { assertOwnedBy, BillingSyncError, readStripeObject } from './read-stripe-object.ts';
import { recomputeTenantBilling } from './recompute-tenant-billing.ts';
import { stripeEventRefs } from './stripe-event-refs.ts';

export { BillingSyncError } from './read-stripe-object.ts';
export { markEventsDead, recordEventFailure } from './record-event-failure.ts';
export { recomputeTenantBilling } from './recompute-tenant-billing.ts';

export type ProcessOutcome = 'processed' | 'coalesced' | 'ignored' | 'not_pending';

/**
 * How long a worker that took rows keeps them from the sweeper: longer than an apply takes
 * (Stripe SDK retries included), short enough that rows a killed worker held are swept soon.
 */
const PICK_LEASE_S = 10;

/**
 * Processes inbox rows, many at a time. An event is a prompt, not the truth: the subscription (and
 * any invoice) it names is re-read from Stripe, and the stored state is set to what Stripe says
 * now, so order and duplicates do not matter. Rows about the same object are settled by one read,
 * marked processed in the transaction that applies it. Returns one result per id, in order: an object that could
 * not be applied fails only the events about it.
 */
export async function processStripeEvents(
  deps: BillingDeps,
  eventIds: string[],
): Promise<ItemResult<ProcessOutcome>[]> {
  // One short transaction: the pending rows, taken for PICK_LEASE_S (the sweeper leaves them to
  // this worker meanwhile), and the tenants their Stripe customers belong to. Statements that lock
  // several inbox rows lock them in id order (here, in applyStripeObject and markEventsDead):
  // two of them taking shared rows in different orders deadlocked under load.
  const { rows, tenantOf } = await inTransaction(deps.database, {}, async (tx) => {
    const rows = (
      await sql<{ id: string; type: string; status: string; payload: unknown }>`
        UPDATE stripe_webhook_events
        SET retry_at = now() + make_interval(secs => ${PICK_LEASE_S})
        WHERE id IN (SELECT id FROM stripe_webhook_events
                     WHERE id = ANY(${eventIds}::text[]) AND status = 'pending'
                     ORDER BY id FOR UPDATE)
        RETURNING id, type, status, payload`.execute(tx)
    ).rows;
    const refs = new Map(rows.map((r) => [r.id, stripeEventRefs(r.payload as { type: string })]));
    const customers = [
      ...new Set([...refs.values()].map((r) => r.customerId).filter((c) => c !== null)),
    ];
    const tenants =
      customers.length > 0
        ? await tx
            .selectFrom('tenants')
            .select(['id', 'stripe_customer_id'])
            .where('stripe_customer_id', 'in', customers)
            .execute()
        : [];
    const byCustomer = new Map(tenants.map((t) => [t.stripe_customer_id, t.id]));
    return {
      rows: new Map(rows.map((r) => [r.id, { ...r, refs: refs.get(r.id)! }])),
      tenantOf: (customerId: string | null) => (customerId && byCustomer.get(customerId)) || null,
    };
  });

  const results = new Map<string, ItemResult<ProcessOutcome>>();
  const ignored: string[] = [];
  const groups = new Map<string, { tenantId: string; objectKey: string; ids: string[] }>();
  for (const id of new Set(eventIds)) {
    const row = rows.get(id);
    if (!row || row.status !== 'pending') {
      results.set(id, { ok: true, value: 'not_pending' });
      continue;
    }
    const { objectKey, customerId } = row.refs;
    if (!objectKey) {
      ignored.push(id);
      continue;
    }
    const tenantId = tenantOf(customerId);
    if (!tenantId) {
      results.set(id, {
        ok: false,
        error: new BillingSyncError(`No workspace has Stripe customer ${customerId ?? '(none)'}`),
      });
      continue;
    }
    const key = `${tenantId}|${objectKey}`;
    const group = groups.get(key) ?? { tenantId, objectKey, ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  }

  if (ignored.length > 0) {
    await inTransaction(deps.database, {}, (tx) =>
      tx
        .updateTable('stripe_webhook_events')
        .set({ status: 'ignored', processed_at: new Date() })
        .where('id', 'in', ignored)
        .where('status', '=', 'pending')
        .execute(),
    );
    for (const id of ignored) results.set(id, { ok: true, value: 'ignored' });
  }

  const queue = [...groups.values()];
  await Promise.all(
    Array.from(
      { length: Math.min(deps.config.BILLING_WORKER_CONCURRENCY, queue.length) },
      async () => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          const first = rows.get(group.ids[0]!)!;
          let result: ItemResult<ProcessOutcome>;
          try {
            const value = await applyStripeObject(deps, group.tenantId, group.objectKey, {
              actor: { type: 'stripe', id: first.id, label: first.type },
              eventIds: group.ids,
            });
            result = { ok: true, value };
          } catch (error) {
            result = { ok: false, error };
          }
          for (const id of group.ids) results.set(id, result);
        }
      },
    ),
  );
  return eventIds.map((id) => results.get(id)!);
}

export interface ApplyTrigger {
  actor: Actor;
  /** The inbox rows that asked; none for a periodic re-sync. */
  eventIds: string[];
}

/**
 * Re-reads `objectKey` (`sub:<id>` or `in:<id>`) from Stripe and applies it to the tenant, in three
 * steps so no transaction is open while Stripe answers:
 * 1. a short transaction notes the time the read begins (`readAt`, database clock) and the pending
 *    inbox rows about the object: each was received after the change it reports, so a read begun
 *    after them sees that change;
 * 2. the read from Stripe, no transaction open;
 * 3. a short transaction, serialized per object by an advisory lock, applies the read unless a
 *    read begun later was applied already (`readAt` is the watermark on the mirror rows), marks
 *    those rows processed, and audits every effect.
 */
export async function applyStripeObject(
  deps: BillingDeps,
  tenantId: string,
  objectKey: string,
  trigger: ApplyTrigger,
): Promise<ProcessOutcome> {
  const before = await inTransaction(deps.database, {}, async (tx) => {
    const head = await sql<{
      read_at: Date;
      subdomain: string | null;
      stripe_customer_id: string | null;
    }>`SELECT clock_timestamp() AS read_at, t.subdomain, t.stripe_customer_id
       FROM (SELECT 1) one LEFT JOIN tenants t ON t.id = ${tenantId}`.execute(tx);
    const pending = await tx
      .selectFrom('stripe_webhook_events')
      .select(['id', 'payload'])
      .where('object_key', '=', objectKey)
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(5000)
      .execute();
    return { ...head.rows[0]!, pending };
  });
  // Another worker applied our events since we read them.
  if (trigger.eventIds.length > 0 && before.pending.length === 0) return 'coalesced';
  if (before.subdomain === null) throw new BillingSyncError(`Workspace ${tenantId} does not exist`);
  const readAt = new Date(before.read_at);

  const invoiceIds = before.pending
    .map((p) => stripeEventRefs(p.payload as { type: string }).invoiceId)
    .filter((id): id is string => id !== null);
  const read = await readStripeObject(deps.billing.stripe(), objectKey, invoiceIds);
  assertOwnedBy(read, before.stripe_customer_id, tenantId);

  const outcome = await inTransaction(deps.database, {}, async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`stripe:${objectKey}`}))`.execute(tx);
    // Only the rows read in step 1: a row that came later may report a change our read missed.
    // Locked in id order (as everywhere inbox rows are locked): other orders deadlocked.
    const settled = (
      await sql<{ id: string }>`
        UPDATE stripe_webhook_events
        SET status = 'processed', processed_at = now(), resolved_tenant_id = ${tenantId},
            attempts = attempts + 1, last_error = NULL
        WHERE id IN (SELECT id FROM stripe_webhook_events
                     WHERE id = ANY(${before.pending.map((p) => p.id)}::text[])
                       AND status = 'pending'
                     ORDER BY id FOR UPDATE)
        RETURNING id`.execute(tx)
    ).rows;
    if (trigger.eventIds.length > 0 && settled.length === 0) return 'coalesced' as const;

    await setScope(tx, { tenantId });
    const subscriptionChanged = read.subscription
      ? await applySubscription(
          tx,
          deps.billing.prices,
          tenantId,
          read.subscription,
          trigger.actor,
          readAt,
        )
      : false;
    for (const invoice of read.invoices)
      await applyInvoice(tx, tenantId, invoice, trigger.actor, readAt);
    // The tenant's plan derives from its subscriptions only (the grace period's end is the
    // periodic job's): nothing to recompute when the subscription read changed nothing.
    if (subscriptionChanged) {
      await recomputeTenantBilling(tx, deps.billing, tenantId, trigger.actor);
    }
    return 'processed' as const;
  });
  return outcome;
}
