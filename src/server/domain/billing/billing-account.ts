import type { Tx } from '../../data/database.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { tenantPlanInEffect } from './plans.ts';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/**
 * The tenant's billing state: `plan` is the plan whose limits apply now, `subscribedPlan` the plan
 * of the Stripe subscription; `pastDue` with `graceEndsAt` drives the payment warning.
 */
export async function getBillingSummary(tx: Tx, tenantId: string) {
  const tenant = await tx
    .selectFrom('tenants')
    .select(['plan', 'billing_status', 'billing_grace_ends_at'])
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const subs = await tx
    .selectFrom('billing_subscriptions')
    .select([
      'id',
      'status',
      'plan',
      'current_period_end',
      'cancel_at_period_end',
      'stripe_created',
    ])
    .where('tenant_id', '=', tenantId)
    .orderBy('stripe_created', 'desc')
    .execute();
  const current = subs.find((s) => s.status === tenant.billing_status) ?? subs[0];
  return {
    plan: tenantPlanInEffect(tenant).id,
    status: tenant.billing_status,
    currentPeriodEnd: iso(current?.current_period_end),
    cancelAtPeriodEnd: current?.cancel_at_period_end ?? false,
    subscribedPlan: current ? current.plan : null,
    subscriptionId: current?.id ?? null,
    pastDue: tenant.billing_status === 'past_due',
    graceEndsAt: iso(tenant.billing_grace_ends_at),
  };
}

/** The tenant's invoices, newest first. */
export async function listInvoices(
  tx: Tx,
  tenantId: string,
  page: { limit: number; cursor?: string },
) {
  let q = tx
    .selectFrom('billing_invoices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('stripe_created', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['stripe_created', 'timestamp'], ['id', 'text'], 'desc'));
  const rows = await q.execute();
  const result = paginate(rows, page.limit, (r) => [r.stripe_created.toISOString(), r.id]);
  return {
    data: result.data.map((r) => ({
      id: r.id,
      number: r.number,
      status: r.status,
      amountDue: r.amount_due,
      amountPaid: r.amount_paid,
      currency: r.currency.trim(),
      hostedInvoiceUrl: r.hosted_invoice_url,
      subscriptionId: r.subscription_id,
      periodStart: iso(r.period_start),
      periodEnd: iso(r.period_end),
      createdAt: r.stripe_created.toISOString(),
    })),
    nextCursor: result.nextCursor,
  };
}
