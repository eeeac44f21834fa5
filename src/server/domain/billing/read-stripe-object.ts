import type Stripe from 'stripe';

/** A failure worth retrying (Stripe unreachable, tenant not found yet); the job retries it. */
export class BillingSyncError extends Error {}

/** What one read of a Stripe object returned: the subscription (if the key names one) and invoices. */
export interface StripeRead {
  subscription: Stripe.Subscription | null;
  invoices: Stripe.Invoice[];
}

/**
 * Reads `objectKey` (`sub:<id>` or `in:<id>`) and the invoices `invoiceIds` from Stripe. Called
 * with no transaction open: Stripe may be slow, and a transaction waits on the database only.
 */
export async function readStripeObject(
  stripe: Stripe,
  objectKey: string,
  invoiceIds: Iterable<string>,
): Promise<StripeRead> {
  const ids = new Set(invoiceIds);
  let subscription: Stripe.Subscription | null = null;
  if (objectKey.startsWith('sub:')) {
    subscription = await stripeCall(() => stripe.subscriptions.retrieve(objectKey.slice(4)));
    if (!subscription)
      throw new BillingSyncError(`Stripe has no subscription ${objectKey.slice(4)}`);
  } else {
    ids.add(objectKey.slice(3));
  }
  const invoices = (
    await Promise.all([...ids].map((id) => stripeCall(() => stripe.invoices.retrieve(id))))
  ).filter((i): i is Stripe.Response<Stripe.Invoice> => i !== null);
  return { subscription, invoices };
}

/** Throws unless every object read belongs to `customerId` (the tenant's Stripe customer). */
export function assertOwnedBy(read: StripeRead, customerId: string | null, tenantId: string) {
  const customerOf = (v: string | { id: string } | null) =>
    typeof v === 'string' ? v : (v?.id ?? null);
  for (const obj of [read.subscription, ...read.invoices]) {
    if (obj && customerOf(obj.customer as string | { id: string } | null) !== customerId) {
      throw new BillingSyncError(
        `${obj.id} belongs to another Stripe customer than workspace ${tenantId}`,
      );
    }
  }
}

/** Calls Stripe; a missing object is null, anything else that fails is a retryable error. */
async function stripeCall<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    const e = error as { code?: string; statusCode?: number; message?: string };
    if (e.code === 'resource_missing' || e.statusCode === 404) return null;
    throw new BillingSyncError(`Stripe call failed: ${e.message ?? String(error)}`, {
      cause: error,
    });
  }
}
