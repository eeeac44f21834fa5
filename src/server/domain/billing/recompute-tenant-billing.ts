import type { Tx } from '../../data/database.ts';
import { lockAuditChain, recordAuditEvent, type Actor } from '../audit/record-audit-event.ts';
import type { BillingSettings } from './billing-deps.ts';
import { NO_META, iso } from './billing-values.ts';
import { graceEnd, planInEffect } from './plans.ts';
import { announceIdentityChanges, tenantIdentity } from '../../data/identity-changes.ts';

/** Which of a tenant's subscriptions decides its plan: a live one first, then the newest. */
const STATUS_RANK: Record<string, number> = {
  active: 0,
  trialing: 0,
  past_due: 0,
  unpaid: 1,
  paused: 1,
  incomplete: 2,
  canceled: 3,
  incomplete_expired: 3,
};

/**
 * Sets the tenant's effective plan, billing status and grace end from its mirrored subscriptions
 * (see grantedPlan). Audits a change; returns whether the tenant row changed.
 */
export async function recomputeTenantBilling(
  tx: Tx,
  billing: Pick<BillingSettings, 'graceDays'>,
  tenantId: string,
  actor: Actor,
  at: Date = new Date(),
): Promise<boolean> {
  // Lock order of every change to a tenant row: the audit chain head, then the row (no key
  // change: it leaves the key-share locks of rows referencing the tenant alone).
  await lockAuditChain(tx, tenantId);
  const subs = await tx
    .selectFrom('billing_subscriptions')
    .select(['id', 'status', 'plan', 'past_due_since', 'stripe_created'])
    .where('tenant_id', '=', tenantId)
    .execute();
  subs.sort(
    (a, b) =>
      (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9) ||
      b.stripe_created.getTime() - a.stripe_created.getTime() ||
      b.id.localeCompare(a.id),
  );
  const primary = subs[0];
  const status = primary?.status ?? 'none';
  const graceEndsAt =
    primary && status === 'past_due' && primary.past_due_since
      ? graceEnd(primary.past_due_since, billing.graceDays)
      : null;
  const plan = primary ? planInEffect(primary.plan, status, graceEndsAt, at) : 'free';

  const tenant = await tx
    .selectFrom('tenants')
    .select(['plan', 'billing_status', 'billing_grace_ends_at'])
    .where('id', '=', tenantId)
    .forNoKeyUpdate()
    .executeTakeFirstOrThrow();
  if (
    tenant.plan === plan &&
    tenant.billing_status === status &&
    iso(tenant.billing_grace_ends_at) === iso(graceEndsAt)
  ) {
    return false;
  }
  await announceIdentityChanges(tx, [tenantIdentity(tenantId)]);
  await tx
    .updateTable('tenants')
    .set({
      plan,
      billing_status: status,
      billing_grace_ends_at: graceEndsAt,
      updated_at: new Date(),
    })
    .where('id', '=', tenantId)
    .execute();
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (tenant.plan !== plan) changes.plan = { from: tenant.plan, to: plan };
  if (tenant.billing_status !== status)
    changes.billingStatus = { from: tenant.billing_status, to: status };
  if (iso(tenant.billing_grace_ends_at) !== iso(graceEndsAt)) {
    changes.graceEndsAt = { from: iso(tenant.billing_grace_ends_at), to: iso(graceEndsAt) };
  }
  await recordAuditEvent(tx, tenantId, actor, NO_META, {
    action: tenant.plan !== plan ? 'tenant.plan_changed' : 'tenant.billing_status_changed',
    target: { type: 'tenant', id: tenantId },
    changes,
  });
  return true;
}
