import Stripe from 'stripe';
import {
  assertWebUrl,
  clone,
  now,
  SANDBOX_PRICES,
  SandboxError,
  stripeId,
  subscriptionOfInvoice,
  type Obj,
  type SandboxEvent,
  type SandboxPrice,
} from './sandbox-objects.ts';
import { SandboxStore, type State } from './sandbox-store.ts';
import { WebhookSender } from './sandbox-webhooks.ts';

export {
  isWebUrl,
  SANDBOX_PRICES,
  SandboxError,
  subscriptionOfInvoice,
  type SandboxEvent,
  type SandboxPrice,
} from './sandbox-objects.ts';

/**
 * The offline Stripe sandbox: an in-memory imitation of the few Stripe objects billing uses
 * (customers, prices, checkout sessions, portal sessions, subscriptions, invoices, events), shaped
 * like Stripe's current API version: period dates live on subscription items, an invoice names its
 * subscription under `parent.subscription_details`. Every change emits events, signed and
 * delivered to the webhook URL like Stripe does (at least once, retried on failure).
 *
 * Development and tests only: nothing here charges anyone.
 */

const PERIOD_SECONDS = 30 * 86_400;

export interface StripeSandboxOptions {
  /** The API key the SDK must present (generated per data directory: sandbox-secrets.ts). */
  secretKey: string;
  /** Signs the events it delivers. */
  webhookSecret: string;
  /**
   * Where events are POSTed; null keeps them for the caller (tests deliver them by hand). A function
   * is read at each delivery (the app's URL may be known only once it listens).
   */
  webhookUrl?: string | null | (() => string | null);
  /** Public base URL of the hosted pages (`<base>/checkout/:id`, `<base>/portal/:id`). */
  publicUrl: string | (() => string);
  prices?: SandboxPrice[];
  /** Keep the state in this JSON file across restarts. */
  persistFile?: string;
  /** Concurrent webhook deliveries. */
  deliveryConcurrency?: number;
}

/** In-memory Stripe look-alike; see the module comment. */
export class StripeSandbox {
  readonly secretKey: string;
  readonly webhookSecret: string;
  private readonly webhookUrlOf: () => string | null;
  private readonly publicUrlOf: () => string;
  readonly prices: SandboxPrice[];
  /** Subscription ids whose retrieval answers 500 (tests of retries and the dead-letter list). */
  readonly failingObjects = new Set<string>();
  /** Delay of every API answer in ms (tests that need processing to take a while). */
  latencyMs = 0;
  /** API requests received so far, counted before the delay (tests wait on it, not on a clock). */
  requestsReceived = 0;
  private readonly store: SandboxStore;
  private readonly webhooks: WebhookSender;

  constructor(options: StripeSandboxOptions) {
    this.secretKey = options.secretKey;
    this.webhookSecret = options.webhookSecret;
    const hook = options.webhookUrl ?? null;
    this.webhookUrlOf = typeof hook === 'function' ? hook : () => hook;
    const pub = options.publicUrl;
    this.publicUrlOf =
      typeof pub === 'function' ? () => pub().replace(/\/+$/, '') : () => pub.replace(/\/+$/, '');
    this.webhooks = new WebhookSender(
      this.webhookSecret,
      this.webhookUrlOf,
      options.deliveryConcurrency ?? 4,
    );
    this.prices = options.prices ?? [
      {
        id: SANDBOX_PRICES.starter.id,
        nickname: 'Starter',
        unit_amount: SANDBOX_PRICES.starter.amount,
        currency: 'usd',
      },
      {
        id: SANDBOX_PRICES.pro.id,
        nickname: 'Pro',
        unit_amount: SANDBOX_PRICES.pro.amount,
        currency: 'usd',
      },
      {
        id: SANDBOX_PRICES.agency.id,
        nickname: 'Agency',
        unit_amount: SANDBOX_PRICES.agency.amount,
        currency: 'usd',
      },
    ];
    this.store = new SandboxStore(options.persistFile);
  }

  private get state(): State {
    return this.store.state;
  }

  /** Deliveries that got a 2xx, and the others. */
  get deliveryStats() {
    return this.webhooks.stats;
  }

  get webhookUrl(): string | null {
    return this.webhookUrlOf();
  }

  get publicUrl(): string {
    return this.publicUrlOf();
  }

  // ---------------------------------------------------------------- API objects

  price(id: string): SandboxPrice {
    const price = this.prices.find((p) => p.id === id);
    if (!price)
      throw new SandboxError(
        400,
        `No such price: '${id}'`,
        'invalid_request_error',
        'resource_missing',
      );
    return price;
  }

  private priceObject(price: SandboxPrice) {
    return {
      id: price.id,
      object: 'price',
      active: true,
      currency: price.currency,
      nickname: price.nickname,
      product: `prod_${price.id.replace(/^price_/, '')}`,
      recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
      type: 'recurring',
      unit_amount: price.unit_amount,
      livemode: false,
    };
  }

  /** Runs `fn` once per idempotency key (Stripe keeps keys 24 h; the sandbox keeps them all). */
  idempotent<T>(key: string | undefined, fn: () => T): T {
    if (!key) return fn();
    if (key in this.state.idempotency) return clone(this.state.idempotency[key]) as T;
    const result = fn();
    this.state.idempotency[key] = clone(result);
    return result;
  }

  createCustomer(params: {
    name?: string;
    email?: string;
    metadata?: Record<string, string>;
  }): Obj {
    const customer: Obj = {
      id: stripeId('cus'),
      object: 'customer',
      created: now(),
      email: params.email ?? null,
      name: params.name ?? null,
      metadata: params.metadata ?? {},
      livemode: false,
    };
    this.state.customers[customer.id] = customer;
    this.emit('customer.created', customer);
    // The app stores this id once we answer: it must outlive a crash of this process.
    this.store.persistDurably('customers', customer);
    return clone(customer);
  }

  customer(id: string): Obj {
    const c = this.state.customers[id];
    if (!c)
      throw new SandboxError(
        404,
        `No such customer: '${id}'`,
        'invalid_request_error',
        'resource_missing',
      );
    return clone(c);
  }

  createCheckoutSession(params: {
    customer?: string;
    mode?: string;
    client_reference_id?: string;
    success_url?: string;
    cancel_url?: string;
    metadata?: Record<string, string>;
    line_items?: { price?: string; quantity?: string | number }[];
    subscription_data?: { metadata?: Record<string, string> };
  }): Obj {
    if (params.mode !== 'subscription')
      throw new SandboxError(400, 'The sandbox supports mode=subscription only');
    if (!params.customer) throw new SandboxError(400, 'Missing required param: customer.');
    this.customer(params.customer);
    const item = params.line_items?.[0];
    if (!item?.price) throw new SandboxError(400, 'Missing required param: line_items[0][price].');
    this.price(item.price);
    if (!params.success_url) throw new SandboxError(400, 'Missing required param: success_url.');
    assertWebUrl('success_url', params.success_url);
    if (params.cancel_url) assertWebUrl('cancel_url', params.cancel_url);
    const id = stripeId('cs_test');
    const session: Obj = {
      id,
      object: 'checkout.session',
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
      customer: params.customer,
      client_reference_id: params.client_reference_id ?? null,
      metadata: params.metadata ?? {},
      subscription: null,
      success_url: params.success_url,
      cancel_url: params.cancel_url ?? null,
      url: `${this.publicUrl}/checkout/${id}`,
      created: now(),
      expires_at: now() + 86_400,
      livemode: false,
      // Kept for the hosted page; Stripe returns line_items only when expanded.
      _price: item.price,
      _subscription_metadata: params.subscription_data?.metadata ?? {},
    };
    this.state.checkoutSessions[id] = session;
    // Its URL is handed to a browser: it must outlive a crash too.
    this.store.persistDurably('checkoutSessions', session);
    return this.present(session);
  }

  checkoutSession(id: string): Obj {
    const s = this.state.checkoutSessions[id];
    if (!s)
      throw new SandboxError(
        404,
        `No such checkout.session: '${id}'`,
        'invalid_request_error',
        'resource_missing',
      );
    return this.present(s);
  }

  /** The hosted page's data (with the private fields). */
  checkoutSessionForPage(id: string) {
    const s = this.state.checkoutSessions[id];
    if (!s) throw new SandboxError(404, 'This checkout session does not exist');
    return { session: s, price: this.price(s._price as string) };
  }

  createPortalSession(params: { customer?: string; return_url?: string }): Obj {
    if (!params.customer) throw new SandboxError(400, 'Missing required param: customer.');
    this.customer(params.customer);
    if (params.return_url) assertWebUrl('return_url', params.return_url);
    const id = stripeId('bps');
    const session: Obj = {
      id,
      object: 'billing_portal.session',
      customer: params.customer,
      return_url: params.return_url ?? null,
      url: `${this.publicUrl}/portal/${id}`,
      created: now(),
      livemode: false,
    };
    this.state.portalSessions[id] = session;
    this.store.persistDurably('portalSessions', session);
    return clone(session);
  }

  portalSession(id: string): Obj {
    const s = this.state.portalSessions[id];
    if (!s) throw new SandboxError(404, 'This portal session does not exist');
    return clone(s);
  }

  subscription(id: string): Obj {
    if (this.failingObjects.has(id)) throw new SandboxError(500, 'Simulated failure', 'api_error');
    const s = this.state.subscriptions[id];
    if (!s)
      throw new SandboxError(
        404,
        `No such subscription: '${id}'`,
        'invalid_request_error',
        'resource_missing',
      );
    return clone(s);
  }

  listSubscriptions(params: { customer?: string; status?: string }): Obj[] {
    return Object.values(this.state.subscriptions)
      .filter((s) => !params.customer || s.customer === params.customer)
      .filter((s) =>
        params.status === 'all'
          ? true
          : params.status
            ? s.status === params.status
            : s.status !== 'canceled' && s.status !== 'incomplete_expired',
      )
      .sort((a, b) => (b.created as number) - (a.created as number))
      .map(clone);
  }

  invoice(id: string): Obj {
    if (this.failingObjects.has(id)) throw new SandboxError(500, 'Simulated failure', 'api_error');
    const i = this.state.invoices[id];
    if (!i)
      throw new SandboxError(
        404,
        `No such invoice: '${id}'`,
        'invalid_request_error',
        'resource_missing',
      );
    return clone(i);
  }

  listInvoices(params: { customer?: string; subscription?: string }): Obj[] {
    return Object.values(this.state.invoices)
      .filter((i) => !params.customer || i.customer === params.customer)
      .filter((i) => !params.subscription || subscriptionOfInvoice(i) === params.subscription)
      .sort((a, b) => (b.created as number) - (a.created as number))
      .map(clone);
  }

  /** Events newest first, as `GET /v1/events` lists them. */
  listEvents(params: {
    createdGte?: number;
    createdGt?: number;
    createdLte?: number;
    createdLt?: number;
    types?: string[];
  }): SandboxEvent[] {
    const out: SandboxEvent[] = [];
    for (let i = this.state.events.length - 1; i >= 0; i--) {
      const e = this.state.events[i]!;
      if (params.createdGte !== undefined && e.created < params.createdGte) continue;
      if (params.createdGt !== undefined && e.created <= params.createdGt) continue;
      if (params.createdLte !== undefined && e.created > params.createdLte) continue;
      if (params.createdLt !== undefined && e.created >= params.createdLt) continue;
      if (params.types && !params.types.includes(e.type)) continue;
      out.push(e);
    }
    return out;
  }

  event(id: string): SandboxEvent {
    const e = this.state.events.find((x) => x.id === id);
    if (!e)
      throw new SandboxError(
        404,
        `No such event: '${id}'`,
        'invalid_request_error',
        'resource_missing',
      );
    return clone(e);
  }

  /** Every event emitted so far, oldest first. */
  allEvents(): SandboxEvent[] {
    return this.state.events.map(clone);
  }

  private present(obj: Obj): Obj {
    const out: Obj = { ...clone(obj) };
    for (const key of Object.keys(out)) if (key.startsWith('_')) delete out[key];
    return out;
  }

  // ---------------------------------------------------------------- life cycle

  /** Pays an open checkout session: creates the subscription and its first paid invoice. */
  completeCheckout(sessionId: string): { session: Obj; subscription: Obj } {
    const session = this.state.checkoutSessions[sessionId];
    if (!session) throw new SandboxError(404, 'This checkout session does not exist');
    if (session.status !== 'open')
      throw new SandboxError(400, `This checkout session is ${String(session.status)}`);
    const price = this.price(session._price as string);
    const t = now();
    const subId = stripeId('sub');
    const sub: Obj = {
      id: subId,
      object: 'subscription',
      customer: session.customer,
      status: 'incomplete',
      cancel_at_period_end: false,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      created: t,
      start_date: t,
      billing_cycle_anchor: t,
      collection_method: 'charge_automatically',
      currency: price.currency,
      latest_invoice: null,
      livemode: false,
      metadata: clone(session._subscription_metadata ?? {}),
      items: {
        object: 'list',
        data: [this.subscriptionItem(subId, price, t, t + PERIOD_SECONDS)],
        has_more: false,
        total_count: 1,
        url: `/v1/subscription_items?subscription=${subId}`,
      },
    };
    this.state.subscriptions[subId] = sub;
    this.emit('customer.subscription.created', sub);
    const invoice = this.createInvoice(sub, price, t, t + PERIOD_SECONDS, 'subscription_create');
    this.payInvoice(invoice);
    this.updateSubscription(sub, { status: 'active', latest_invoice: invoice.id });
    session.status = 'complete';
    session.payment_status = 'paid';
    session.subscription = subId;
    this.emit('checkout.session.completed', this.present(session));
    return { session: this.present(session), subscription: clone(sub) };
  }

  /** Expires an open checkout session (the customer chose "Cancel"). */
  expireCheckout(sessionId: string): Obj {
    const session = this.state.checkoutSessions[sessionId];
    if (!session) throw new SandboxError(404, 'This checkout session does not exist');
    if (session.status === 'open') {
      session.status = 'expired';
      this.emit('checkout.session.expired', this.present(session));
    }
    return this.present(session);
  }

  /** Moves a subscription to another price, invoicing the new price at once (no proration). */
  changePrice(subId: string, priceId: string): Obj {
    const sub = this.liveSubscription(subId);
    const price = this.price(priceId);
    const item = (sub.items as { data: Obj[] }).data[0]!;
    if ((item.price as Obj).id === priceId) return clone(sub);
    const newItem = { ...item, price: this.priceObject(price) };
    const invoice = this.createInvoice(
      sub,
      price,
      item.current_period_start as number,
      item.current_period_end as number,
      'subscription_update',
    );
    this.payInvoice(invoice);
    this.updateSubscription(sub, {
      items: { ...(sub.items as Obj), data: [newItem] },
      latest_invoice: invoice.id,
      status: 'active',
    });
    return clone(sub);
  }

  /** "Cancel subscription" in the portal: at the end of the period. */
  cancelAtPeriodEnd(subId: string, cancel = true): Obj {
    const sub = this.liveSubscription(subId);
    const end = (sub.items as { data: Obj[] }).data[0]!.current_period_end as number;
    this.updateSubscription(sub, {
      cancel_at_period_end: cancel,
      cancel_at: cancel ? end : null,
      canceled_at: cancel ? now() : null,
    });
    return clone(sub);
  }

  /** Cancels at once. */
  cancelNow(subId: string): Obj {
    const sub = this.liveSubscription(subId);
    const t = now();
    const previous = { status: sub.status };
    Object.assign(sub, {
      status: 'canceled',
      canceled_at: t,
      ended_at: t,
      cancel_at_period_end: false,
    });
    this.emit('customer.subscription.deleted', sub, previous);
    return clone(sub);
  }

  /** The renewal payment fails: a new open invoice, the subscription goes past_due. */
  failPayment(subId: string): Obj {
    const sub = this.liveSubscription(subId);
    const item = (sub.items as { data: Obj[] }).data[0]!;
    const price = this.price((item.price as Obj).id);
    const start = item.current_period_end as number;
    const invoice = this.createInvoice(
      sub,
      price,
      start,
      start + PERIOD_SECONDS,
      'subscription_cycle',
    );
    invoice.attempt_count = 1;
    this.emit('invoice.payment_failed', invoice);
    this.updateSubscription(sub, {
      status: 'past_due',
      latest_invoice: invoice.id,
      items: {
        ...(sub.items as Obj),
        data: [
          { ...item, current_period_start: start, current_period_end: start + PERIOD_SECONDS },
        ],
      },
    });
    return clone(sub);
  }

  /** The open invoice is paid after all: the subscription is active again. */
  recoverPayment(subId: string): Obj {
    const sub = this.liveSubscription(subId);
    const invoice = this.state.invoices[sub.latest_invoice as string];
    if (invoice && invoice.status === 'open') this.payInvoice(invoice);
    this.updateSubscription(sub, { status: 'active' });
    return clone(sub);
  }

  /** Retries are exhausted: past_due becomes unpaid (Stripe's "mark as unpaid" setting). */
  markUnpaid(subId: string): Obj {
    const sub = this.liveSubscription(subId);
    this.updateSubscription(sub, { status: 'unpaid' });
    return clone(sub);
  }

  /** Moves the clock to the end of the period: renews (a new paid invoice) or ends a cancellation. */
  advancePeriod(subId: string): Obj {
    const sub = this.liveSubscription(subId);
    if (sub.cancel_at_period_end) return this.cancelNow(subId);
    const item = (sub.items as { data: Obj[] }).data[0]!;
    const price = this.price((item.price as Obj).id);
    const start = item.current_period_end as number;
    const invoice = this.createInvoice(
      sub,
      price,
      start,
      start + PERIOD_SECONDS,
      'subscription_cycle',
    );
    this.payInvoice(invoice);
    this.updateSubscription(sub, {
      latest_invoice: invoice.id,
      items: {
        ...(sub.items as Obj),
        data: [
          { ...item, current_period_start: start, current_period_end: start + PERIOD_SECONDS },
        ],
      },
    });
    return clone(sub);
  }

  /** Emits a `customer.subscription.updated` with the current state (a no-op change: bench load). */
  touchSubscription(subId: string): SandboxEvent {
    const sub = this.liveSubscription(subId);
    return this.emit('customer.subscription.updated', sub, {});
  }

  private liveSubscription(subId: string): Obj {
    const sub = this.state.subscriptions[subId];
    if (!sub)
      throw new SandboxError(
        404,
        `No such subscription: '${subId}'`,
        'invalid_request_error',
        'resource_missing',
      );
    if (sub.status === 'canceled' || sub.status === 'incomplete_expired') {
      throw new SandboxError(400, `This subscription is ${String(sub.status)}`);
    }
    return sub;
  }

  private subscriptionItem(subId: string, price: SandboxPrice, start: number, end: number) {
    return {
      id: stripeId('si'),
      object: 'subscription_item',
      created: start,
      current_period_start: start,
      current_period_end: end,
      price: this.priceObject(price),
      quantity: 1,
      subscription: subId,
      metadata: {},
    };
  }

  private updateSubscription(sub: Obj, patch: Record<string, unknown>) {
    const previous: Record<string, unknown> = {};
    for (const key of Object.keys(patch)) previous[key] = clone(sub[key]);
    Object.assign(sub, patch);
    this.emit('customer.subscription.updated', sub, previous);
  }

  private createInvoice(
    sub: Obj,
    price: SandboxPrice,
    start: number,
    end: number,
    reason: string,
  ): Obj {
    const id = stripeId('in');
    this.state.invoiceCounter += 1;
    const invoice: Obj = {
      id,
      object: 'invoice',
      customer: sub.customer,
      status: 'draft',
      number: null,
      amount_due: price.unit_amount,
      amount_paid: 0,
      amount_remaining: price.unit_amount,
      attempt_count: 0,
      billing_reason: reason,
      collection_method: 'charge_automatically',
      currency: price.currency,
      created: now(),
      period_start: start,
      period_end: end,
      hosted_invoice_url: null,
      livemode: false,
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { subscription: sub.id, metadata: clone(sub.metadata) },
      },
      lines: {
        object: 'list',
        data: [
          {
            id: stripeId('il'),
            object: 'line_item',
            amount: price.unit_amount,
            currency: price.currency,
            description: `1 × ${price.nickname} (at $${(price.unit_amount / 100).toFixed(2)} / month)`,
            period: { start, end },
            pricing: {
              type: 'price_details',
              price_details: {
                price: price.id,
                product: `prod_${price.id.replace(/^price_/, '')}`,
              },
            },
            quantity: 1,
          },
        ],
        has_more: false,
        total_count: 1,
      },
      status_transitions: { finalized_at: null, paid_at: null, voided_at: null },
    };
    this.state.invoices[id] = invoice;
    this.emit('invoice.created', invoice);
    Object.assign(invoice, {
      status: 'open',
      number: `SBX-${String(this.state.invoiceCounter).padStart(6, '0')}`,
      hosted_invoice_url: `${this.publicUrl}/invoices/${id}`,
      status_transitions: { ...(invoice.status_transitions as Obj), finalized_at: now() },
    });
    this.emit('invoice.finalized', invoice, { status: 'draft' });
    return invoice;
  }

  private payInvoice(invoice: Obj) {
    Object.assign(invoice, {
      status: 'paid',
      amount_paid: invoice.amount_due,
      amount_remaining: 0,
      attempt_count: (invoice.attempt_count as number) + 1,
      status_transitions: { ...(invoice.status_transitions as Obj), paid_at: now() },
    });
    this.emit('invoice.paid', invoice, { status: 'open' });
    this.emit('invoice.payment_succeeded', invoice);
  }

  // ---------------------------------------------------------------- events and delivery

  private emit(
    type: string,
    object: Obj,
    previousAttributes?: Record<string, unknown>,
  ): SandboxEvent {
    const event: SandboxEvent = {
      id: stripeId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: now(),
      data: {
        object: this.present(object),
        ...(previousAttributes ? { previous_attributes: previousAttributes } : {}),
      },
      livemode: false,
      pending_webhooks: this.webhookUrl ? 1 : 0,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.state.events.push(event);
    this.store.changed();
    if (this.webhookUrl) this.webhooks.send(event);
    return clone(event);
  }

  /** The `Stripe-Signature` header of `payload` at `timestamp` (seconds), as Stripe computes it. */
  signatureHeader(payload: string, timestamp = now(), secret = this.webhookSecret): string {
    return this.webhooks.signatureHeader(payload, timestamp, secret);
  }

  /** POSTs one event to `url`, signed; resolves to the HTTP status. */
  deliver(event: SandboxEvent, url = this.webhookUrl): Promise<number> {
    return this.webhooks.deliver(event, url);
  }

  /** Resolves once every queued delivery has been attempted. */
  drain(): Promise<void> {
    return this.webhooks.drain();
  }

  /** The customer's subscriptions that are not over (for the portal page). */
  subscriptionsOf(customerId: string): Obj[] {
    return this.listSubscriptions({ customer: customerId, status: 'all' }).filter(
      (s) => s.status !== 'canceled' && s.status !== 'incomplete_expired',
    );
  }

  /** Writes the state file now (a benchmark hands a prepared state to a sandbox process). */
  persistNow() {
    this.store.persistNow();
  }

  close() {
    this.webhooks.close();
    this.store.close();
  }
}
