import type Stripe from 'stripe';
import type { Tx } from '../../data/database.ts';
import { recordAuditEvent, type Actor } from '../audit/record-audit-event.ts';
import { NO_META, iso, toDate } from './billing-values.ts';
import { planForPrice, type PaidPlanId } from './plans.ts';

/**
 * Mirrors a subscription as Stripe had it at `readAt` (when our read began, database clock);
 * audits what changed. A read older than the one stored (`synced_at`) changes nothing, so two
 * reads applied out of order never go back in time. Returns whether the mirror changed.
 */
export async function applySubscription(
  tx: Tx,
  prices: Record<PaidPlanId, string>,
  tenantId: string,
  sub: Stripe.Subscription,
  actor: Actor,
  readAt: Date,
): Promise<boolean> {
  const item = sub.items?.data?.[0];
  const priceId = item?.price?.id ?? null;
  const plan = planForPrice(prices, priceId) ?? 'free';
  const existing = await tx
    .selectFrom('billing_subscriptions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sub.id)
    .forUpdate()
    .executeTakeFirst();
  if (existing && existing.synced_at >= readAt) return false;
  const now = new Date();
  const next = {
    customer_id: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    status: sub.status,
    price_id: priceId,
    plan,
    current_period_start: toDate(item?.current_period_start),
    current_period_end: toDate(item?.current_period_end),
    cancel_at_period_end: sub.cancel_at_period_end === true,
    canceled_at: toDate(sub.canceled_at),
    past_due_since:
      sub.status === 'past_due'
        ? existing?.status === 'past_due' && existing.past_due_since
          ? existing.past_due_since
          : now
        : null,
    stripe_created: new Date(sub.created * 1000),
    synced_at: readAt,
  };
  const view = (s: {
    status: string;
    plan: string;
    current_period_end: Date | null;
    cancel_at_period_end: boolean;
  }) => ({
    status: s.status,
    plan: s.plan,
    currentPeriodEnd: iso(s.current_period_end),
    cancelAtPeriodEnd: s.cancel_at_period_end,
  });
  if (!existing) {
    await tx
      .insertInto('billing_subscriptions')
      .values({ tenant_id: tenantId, id: sub.id, ...next })
      .execute();
    const after = view(next);
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'subscription.created',
      target: { type: 'subscription', id: sub.id },
      changes: Object.fromEntries(
        Object.entries(after).map(([k, v]) => [k, { from: null, to: v }]),
      ),
    });
    return true;
  }
  const before = view(existing);
  const after = view(next);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof typeof after)[]) {
    if (before[key] !== after[key]) changes[key] = { from: before[key], to: after[key] };
  }
  const quietChange =
    existing.price_id !== next.price_id ||
    iso(existing.canceled_at) !== iso(next.canceled_at) ||
    iso(existing.current_period_start) !== iso(next.current_period_start) ||
    iso(existing.past_due_since) !== iso(next.past_due_since);
  if (Object.keys(changes).length === 0 && !quietChange) {
    // Unchanged: only the watermark moves, so an older read arriving later is refused.
    await tx
      .updateTable('billing_subscriptions')
      .set({ synced_at: readAt })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', sub.id)
      .execute();
    return false;
  }
  await tx
    .updateTable('billing_subscriptions')
    .set(next)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sub.id)
    .execute();
  if (Object.keys(changes).length > 0) {
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'subscription.updated',
      target: { type: 'subscription', id: sub.id },
      changes,
    });
  }
  return true;
}
