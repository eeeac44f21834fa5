import type Stripe from 'stripe';
import type { Tx } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import { AppError } from '../../errors.ts';
import { lockAuditChain } from '../audit/record-audit-event.ts';
import type { BillingDeps } from './billing-deps.ts';
import type { PaidPlanId } from './plans.ts';
import { announceIdentityChanges, tenantIdentity } from '../../data/identity-changes.ts';

/**
 * Statuses of a subscription that is starting (a checkout paid, its first invoice not settled:
 * incomplete) or running: a second checkout would bill the workspace twice.
 */
export const STARTING_OR_RUNNING = ['incomplete', 'active', 'trialing', 'past_due'];

const USE_THE_PORTAL =
  'This workspace already has a subscription (starting or running); use the billing portal to change plans';

/** Turns a Stripe failure into a 502 (our request was fine; Stripe did not answer as expected). */
async function callStripe<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      'bad_gateway',
      `Stripe could not ${what}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** What startCheckout got from Stripe; the request transaction records it (recordCheckoutStarted). */
export interface CheckoutStarted {
  session: Stripe.Checkout.Session & { url: string };
  customerId: string;
}

/**
 * A subscription-mode Checkout Session for `plan`: the tenant's customer (created on first use,
 * with an idempotency key derived from the tenant so concurrent first checkouts make one),
 * `client_reference_id` and `subscription_data.metadata.tenant_id` set; success and cancel return
 * to APP_URL. 409 when a subscription is starting or running, here or at Stripe (a checkout paid
 * whose events are not applied yet). Every Stripe call happens outside any transaction.
 */
export async function startCheckout(
  deps: Pick<BillingDeps, 'database' | 'billing' | 'config'>,
  tenant: { id: string; name: string },
  plan: PaidPlanId,
): Promise<CheckoutStarted> {
  const stripe = deps.billing.stripe();
  const known = await inTransaction(deps.database, { tenantId: tenant.id }, async (tx) => {
    const running = await tx
      .selectFrom('billing_subscriptions')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('status', 'in', STARTING_OR_RUNNING)
      .executeTakeFirst();
    const row = await tx
      .selectFrom('tenants')
      .select('stripe_customer_id')
      .where('id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    return { running: Boolean(running), customerId: row.stripe_customer_id };
  });
  if (known.running) throw new AppError('conflict', USE_THE_PORTAL);

  let customerId = known.customerId;
  if (customerId) {
    const atStripe = await callStripe('list the subscriptions', () =>
      stripe.subscriptions.list({ customer: customerId!, status: 'all', limit: 20 }),
    );
    if (atStripe.data.some((s) => STARTING_OR_RUNNING.includes(s.status))) {
      throw new AppError('conflict', USE_THE_PORTAL);
    }
  } else {
    const customer = await callStripe('create the customer', () =>
      stripe.customers.create(
        { name: tenant.name, metadata: { tenant_id: tenant.id } },
        { idempotencyKey: `roi-customer-${tenant.id}` },
      ),
    );
    customerId = customer.id;
  }
  const appUrl = deps.config.appUrl;
  const session = await callStripe('start the checkout', () =>
    stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customerId,
      client_reference_id: tenant.id,
      line_items: [{ price: deps.billing.prices[plan], quantity: 1 }],
      metadata: { tenant_id: tenant.id, plan },
      subscription_data: { metadata: { tenant_id: tenant.id } },
      success_url: `${appUrl}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${appUrl}/billing?checkout=canceled`,
    }),
  );
  if (!session.url)
    throw new AppError('bad_gateway', 'Stripe returned a checkout session without a URL');
  return { session: { ...session, url: session.url }, customerId };
}

/**
 * Stores the tenant's Stripe customer id if it has none yet (in the request transaction, beside
 * its audit event). Returns whether it was stored now.
 */
export async function recordStripeCustomer(
  tx: Tx,
  tenantId: string,
  customerId: string,
): Promise<boolean> {
  // The audit chain head before the row, as every change to a tenant row takes them. The column
  // is unique, so this UPDATE locks the row against the key-share locks that audit events (and
  // every other row referencing the tenant) take; with the row first, a concurrent audited write
  // holding the head and inserting its event deadlocked with us (CI: concurrent checkouts, 500).
  await lockAuditChain(tx, tenantId);
  await announceIdentityChanges(tx, [tenantIdentity(tenantId)]);
  const stored = await tx
    .updateTable('tenants')
    .set({ stripe_customer_id: customerId })
    .where('id', '=', tenantId)
    .where('stripe_customer_id', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return Boolean(stored);
}

/** A customer-portal session that returns to the billing page; 409 before any checkout. */
export async function startPortal(
  deps: Pick<BillingDeps, 'database' | 'billing' | 'config'>,
  tenantId: string,
): Promise<{ url: string }> {
  const stripe = deps.billing.stripe();
  const row = await inTransaction(deps.database, { tenantId }, (tx) =>
    tx
      .selectFrom('tenants')
      .select('stripe_customer_id')
      .where('id', '=', tenantId)
      .executeTakeFirstOrThrow(),
  );
  const customer = row.stripe_customer_id;
  if (!customer) {
    throw new AppError(
      'conflict',
      'This workspace has no billing account yet; start a checkout first',
    );
  }
  const session = await callStripe('open the billing portal', () =>
    stripe.billingPortal.sessions.create({
      customer,
      return_url: `${deps.config.appUrl}/billing`,
    }),
  );
  return { url: session.url };
}
