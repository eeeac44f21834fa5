/**
 * What an event is about, read from its payload. Only ids are trusted: the state itself is
 * re-read from Stripe when the event is processed.
 */
export interface StripeEventRefs {
  customerId: string | null;
  subscriptionId: string | null;
  invoiceId: string | null;
  /** The lock and coalescing key: `sub:<id>` or `in:<id>`; null for types we ignore. */
  objectKey: string | null;
}

const idOf = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'id' in v && typeof v.id === 'string') return v.id;
  return null;
};

/** Event types that change billing state; every other type is stored and ignored. */
export function isHandledEventType(type: string): boolean {
  return (
    type.startsWith('customer.subscription.') ||
    (type.startsWith('invoice.') && type !== 'invoice.upcoming') ||
    type === 'checkout.session.completed' ||
    type === 'checkout.session.async_payment_succeeded'
  );
}

/** The ids an event names (customer, subscription, invoice) and its processing key. */
export function stripeEventRefs(event: {
  type: string;
  data?: { object?: unknown };
}): StripeEventRefs {
  const none: StripeEventRefs = {
    customerId: null,
    subscriptionId: null,
    invoiceId: null,
    objectKey: null,
  };
  const obj = event.data?.object as Record<string, unknown> | undefined;
  if (!obj || typeof obj !== 'object' || !isHandledEventType(event.type)) return none;
  const customerId = idOf(obj.customer);
  if (event.type.startsWith('customer.subscription.')) {
    const id = idOf(obj.id);
    return { customerId, subscriptionId: id, invoiceId: null, objectKey: id ? `sub:${id}` : null };
  }
  if (event.type.startsWith('invoice.')) {
    const id = idOf(obj.id);
    const parent = obj.parent as
      { subscription_details?: { subscription?: unknown } | null } | null | undefined;
    const sub = idOf(parent?.subscription_details?.subscription);
    return {
      customerId,
      subscriptionId: sub,
      invoiceId: id,
      objectKey: sub ? `sub:${sub}` : id ? `in:${id}` : null,
    };
  }
  const sub = idOf(obj.subscription);
  return { customerId, subscriptionId: sub, invoiceId: null, objectKey: sub ? `sub:${sub}` : null };
}
