import type Stripe from 'stripe';
import type { Tx } from '../../data/database.ts';
import { AppError } from '../../errors.ts';
import type { BillingSettings } from './stripe-client.ts';
import type { PaidPlanId } from './plans.ts';

/** Statuses of a subscription that is still running: a second checkout would bill twice. */
const RUNNING = ['active', 'trialing', 'past_due', 'unpaid', 'paused'];

/** Turns a Stripe failure into a 502 (our request was fine; Stripe did not answer as expected). */
async function callStripe<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new AppError(
      'bad_gateway',
      `Stripe could not ${what}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The tenant's Stripe customer, created on first use with an idempotency key derived from the
 * tenant, so concurrent first checkouts (or a retry after a lost reply) make one customer.
 * Locks the tenant row while it decides.
 */
export async function ensureStripeCustomer(
  tx: Tx,
  billing: BillingSettings,
  tenant: { id: string; name: string },
): Promise<{ customerId: string; created: boolean }> {
  const row = await tx
    .selectFrom('tenants')
    .select('stripe_customer_id')
    .where('id', '=', tenant.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (row.stripe_customer_id) return { customerId: row.stripe_customer_id, created: false };
  const customer = await callStripe('create the customer', () =>
    billing
      .stripe()
      .customers.create(
        { name: tenant.name, metadata: { tenant_id: tenant.id } },
        { idempotencyKey: `roi-customer-${tenant.id}` },
      ),
  );
  await tx
    .updateTable('tenants')
    .set({ stripe_customer_id: customer.id })
    .where('id', '=', tenant.id)
    .execute();
  return { customerId: customer.id, created: true };
}

/**
 * A subscription-mode Checkout Session for `plan`: the tenant's customer, `client_reference_id`
 * and `subscription_data.metadata.tenant_id` set; success and cancel return to APP_URL.
 * A tenant that already has a running subscription changes plan in the portal instead (409).
 */
export async function startCheckout(
  tx: Tx,
  billing: BillingSettings,
  appUrl: string,
  tenant: { id: string; name: string },
  plan: PaidPlanId,
): Promise<{ session: Stripe.Checkout.Session; customerId: string; customerCreated: boolean }> {
  const running = await tx
    .selectFrom('billing_subscriptions')
    .select('id')
    .where('tenant_id', '=', tenant.id)
    .where('status', 'in', RUNNING)
    .executeTakeFirst();
  if (running) {
    throw new AppError(
      'conflict',
      'This workspace already has a subscription; change the plan in the billing portal',
    );
  }
  const { customerId, created } = await ensureStripeCustomer(tx, billing, tenant);
  const session = await callStripe('start the checkout', () =>
    billing.stripe().checkout.sessions.create({
      mode: 'subscription',
      customer: customerId,
      client_reference_id: tenant.id,
      line_items: [{ price: billing.prices[plan], quantity: 1 }],
      metadata: { tenant_id: tenant.id, plan },
      subscription_data: { metadata: { tenant_id: tenant.id } },
      success_url: `${appUrl}/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${appUrl}/billing?checkout=canceled`,
    }),
  );
  if (!session.url)
    throw new AppError('bad_gateway', 'Stripe returned a checkout session without a URL');
  return { session, customerId, customerCreated: created };
}

/** A customer-portal session that returns to the billing page; 409 before any checkout. */
export async function startPortal(
  tx: Tx,
  billing: BillingSettings,
  appUrl: string,
  tenantId: string,
): Promise<{ url: string }> {
  const row = await tx
    .selectFrom('tenants')
    .select('stripe_customer_id')
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  if (!row.stripe_customer_id) {
    throw new AppError(
      'conflict',
      'This workspace has no billing account yet; start a checkout first',
    );
  }
  const session = await callStripe('open the billing portal', () =>
    billing.stripe().billingPortal.sessions.create({
      customer: row.stripe_customer_id!,
      return_url: `${appUrl}/billing`,
    }),
  );
  return { url: session.url };
}
