import type Stripe from 'stripe';
import { inTransaction } from '../../data/scoped-transaction.ts';
import type { BillingDeps } from './billing-deps.ts';
import { recomputeTenantBilling } from './recompute-tenant-billing.ts';
import { enqueueResync, enqueueStripeEvents } from './billing-queue.ts';
import { insertInboxEvents } from './receive-stripe-webhook.ts';
import { isHandledEventType, stripeEventRefs } from './stripe-event-refs.ts';

const MAX_EVENTS_PER_RUN = 50_000;
/**
 * Reconciliation looks only at events older than this: younger ones are still on their way
 * through the webhook (Stripe's first delivery takes seconds), and racing it would only add work.
 */
export const RECONCILE_LAG_S = 300;

/**
 * Reads recent events from Stripe's Events API and stores (and enqueues) any the webhook never
 * delivered. Returns how many were missing.
 */
export async function reconcileStripeEvents(
  services: BillingDeps,
  sinceSeconds: number,
  untilSeconds = Math.floor(Date.now() / 1000) - RECONCILE_LAG_S,
): Promise<number> {
  if (services.billing.mode === 'off') return 0;
  const stripe = services.billing.stripe();
  let missing = 0;
  let seen = 0;
  let batch: Stripe.Event[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    const inserted = await inTransaction(services.database, {}, (tx) =>
      insertInboxEvents(
        tx,
        events.map((event) => ({
          id: event.id,
          type: event.type,
          created: event.created,
          livemode: event.livemode === true,
          payload: JSON.stringify(event),
          objectKey: stripeEventRefs(event).objectKey,
          source: 'reconcile' as const,
        })),
      ),
    );
    await enqueueStripeEvents(services, [...inserted]);
    missing += inserted.size;
  };
  for await (const event of stripe.events.list({
    created: { gte: sinceSeconds, lte: untilSeconds },
    limit: 100,
  })) {
    if (++seen > MAX_EVENTS_PER_RUN) break;
    if (!isHandledEventType(event.type) || !stripeEventRefs(event).objectKey) continue;
    batch.push(event);
    if (batch.length >= 100) {
      // Most listed events are known: check before inserting one by one.
      const known = await inTransaction(services.database, {}, (tx) =>
        tx
          .selectFrom('stripe_webhook_events')
          .select('id')
          .where(
            'id',
            'in',
            batch.map((e) => e.id),
          )
          .execute(),
      );
      const knownIds = new Set(known.map((k) => k.id));
      batch = batch.filter((e) => !knownIds.has(e.id));
      await flush();
    }
  }
  await flush();
  return missing;
}

/** How often every live subscription is re-read from Stripe. */
export const RESYNC_EVERY_MS = 60 * 60_000;

/** Enqueues a re-read of every live subscription (each tenant compared with Stripe). */
export async function resyncAllSubscriptions(services: BillingDeps): Promise<number> {
  const rows = await inTransaction(services.database, { workerScope: 'billing-resync' }, (tx) =>
    tx
      .selectFrom('billing_subscriptions')
      .select(['tenant_id', 'id'])
      .where('status', 'not in', ['canceled', 'incomplete_expired'])
      .execute(),
  );
  const slot = String(Math.floor(Date.now() / RESYNC_EVERY_MS));
  for (const row of rows) await enqueueResync(services, row.tenant_id, row.id, slot);
  return rows.length;
}

/** Moves tenants whose past_due grace period has ended to the free plan (audited as `system`). */
export async function applyEndedGracePeriods(services: BillingDeps): Promise<number> {
  const due = await inTransaction(services.database, {}, (tx) =>
    tx
      .selectFrom('tenants')
      .select(['id', 'subdomain'])
      .where('billing_status', '=', 'past_due')
      .where('billing_grace_ends_at', '<=', new Date())
      .where('plan', '<>', 'free')
      .execute(),
  );
  for (const tenant of due) {
    await inTransaction(services.database, { tenantId: tenant.id }, (tx) =>
      recomputeTenantBilling(tx, services.billing, tenant.id, {
        type: 'system',
        id: null,
        label: 'billing grace period ended',
      }),
    );
  }
  return due.length;
}
