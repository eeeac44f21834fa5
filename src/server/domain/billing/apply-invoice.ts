import type Stripe from 'stripe';
import type { Tx } from '../../data/database.ts';
import { recordAuditEvent, type Actor } from '../audit/record-audit-event.ts';
import { NO_META, toDate } from './billing-values.ts';

/**
 * Mirrors an invoice once (one row per Stripe invoice), then follows its status as Stripe had it
 * at `readAt`; a read older than the stored one (`updated_at`) changes nothing.
 */
export async function applyInvoice(
  tx: Tx,
  tenantId: string,
  invoice: Stripe.Invoice,
  actor: Actor,
  readAt: Date,
): Promise<void> {
  const sub = invoice.parent?.subscription_details?.subscription;
  const next = {
    subscription_id: typeof sub === 'string' ? sub : (sub?.id ?? null),
    number: invoice.number ?? null,
    status: invoice.status ?? 'draft',
    amount_due: invoice.amount_due,
    amount_paid: invoice.amount_paid,
    currency: invoice.currency.toUpperCase(),
    hosted_invoice_url: invoice.hosted_invoice_url ?? null,
    period_start: toDate(invoice.period_start),
    period_end: toDate(invoice.period_end),
    stripe_created: new Date(invoice.created * 1000),
    updated_at: readAt,
  };
  const inserted = await tx
    .insertInto('billing_invoices')
    .values({ tenant_id: tenantId, id: invoice.id!, ...next })
    .onConflict((oc) => oc.columns(['tenant_id', 'id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) {
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'invoice.created',
      target: { type: 'invoice', id: invoice.id! },
      changes: {
        number: { from: null, to: next.number },
        status: { from: null, to: next.status },
        amountDue: { from: null, to: next.amount_due },
        currency: { from: null, to: next.currency },
      },
    });
    return;
  }
  const existing = await tx
    .selectFrom('billing_invoices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', invoice.id!)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (existing.updated_at >= readAt) return;
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (existing.status !== next.status) changes.status = { from: existing.status, to: next.status };
  if (existing.amount_paid !== next.amount_paid)
    changes.amountPaid = { from: existing.amount_paid, to: next.amount_paid };
  if (existing.number !== next.number) changes.number = { from: existing.number, to: next.number };
  if (existing.amount_due !== next.amount_due)
    changes.amountDue = { from: existing.amount_due, to: next.amount_due };
  if (Object.keys(changes).length === 0 && existing.hosted_invoice_url === next.hosted_invoice_url)
    return;
  await tx
    .updateTable('billing_invoices')
    .set(next)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', invoice.id!)
    .execute();
  if (Object.keys(changes).length > 0) {
    await recordAuditEvent(tx, tenantId, actor, NO_META, {
      action: 'invoice.updated',
      target: { type: 'invoice', id: invoice.id! },
      changes,
    });
  }
}
