import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import Stripe from 'stripe';

/**
 * The offline Stripe sandbox: an in-memory imitation of the few Stripe objects billing uses
 * (customers, prices, checkout sessions, portal sessions, subscriptions, invoices, events), shaped
 * like Stripe's current API version: period dates live on subscription items, an invoice names its
 * subscription under `parent.subscription_details`. Every change emits events, signed and
 * delivered to the webhook URL like Stripe does (at least once, retried on failure).
 *
 * Development and tests only: nothing here charges anyone.
 */

export const SANDBOX_PRICES = {
  starter: { id: 'price_sandbox_starter', amount: 2900 },
  pro: { id: 'price_sandbox_pro', amount: 9900 },
  agency: { id: 'price_sandbox_agency', amount: 29900 },
} as const;

const PERIOD_SECONDS = 30 * 86_400;

type Obj = Record<string, unknown> & { id: string };

export interface SandboxPrice {
  id: string;
  nickname: string;
  unit_amount: number;
  currency: string;
}

export interface SandboxEvent extends Obj {
  type: string;
  created: number;
}

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

interface State {
  customers: Record<string, Obj>;
  checkoutSessions: Record<string, Obj>;
  portalSessions: Record<string, Obj>;
  subscriptions: Record<string, Obj>;
  invoices: Record<string, Obj>;
  /** Oldest first. */
  events: SandboxEvent[];
  idempotency: Record<string, unknown>;
  invoiceCounter: number;
}

const now = () => Math.floor(Date.now() / 1000);
const stripeId = (prefix: string) =>
  `${prefix}_${randomBytes(18).toString('base64url').replace(/[-_]/g, '').slice(0, 24)}`;
const clone = <T>(v: T): T => structuredClone(v);

export class SandboxError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code?: string,
  ) {
    super(message);
  }
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
  /** Deliveries that got a 2xx, and the others. */
  readonly deliveryStats = { ok: 0, failed: 0 };
  private state: State;
  private readonly persistFile?: string;
  private persistTimer: NodeJS.Timeout | null = null;
  private readonly outbox: { event: SandboxEvent; attempt: number }[] = [];
  private delivering = 0;
  private readonly deliveryConcurrency: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(options: StripeSandboxOptions) {
    this.secretKey = options.secretKey;
    this.webhookSecret = options.webhookSecret;
    const hook = options.webhookUrl ?? null;
    this.webhookUrlOf = typeof hook === 'function' ? hook : () => hook;
    const pub = options.publicUrl;
    this.publicUrlOf =
      typeof pub === 'function' ? () => pub().replace(/\/+$/, '') : () => pub.replace(/\/+$/, '');
    this.deliveryConcurrency = options.deliveryConcurrency ?? 4;
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
    this.persistFile = options.persistFile;
    this.state = this.load();
  }

  private load(): State {
    const empty: State = {
      customers: {},
      checkoutSessions: {},
      portalSessions: {},
      subscriptions: {},
      invoices: {},
      events: [],
      idempotency: {},
      invoiceCounter: 0,
    };
    if (!this.persistFile) return empty;
    try {
      return { ...empty, ...(JSON.parse(fs.readFileSync(this.persistFile, 'utf8')) as State) };
    } catch {
      return empty;
    }
  }

  /**
   * Writes the state now and fsyncs it: for objects whose id the app stores (a customer), which
   * must survive a kill -9 of the process before the id is handed out.
   */
  private persistDurably() {
    if (!this.persistFile) return;
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = null;
    const tmp = `${this.persistFile}.tmp`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(this.state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.persistFile);
  }

  private changed() {
    if (!this.persistFile || this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      const tmp = `${this.persistFile}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(this.state));
      fs.renameSync(tmp, this.persistFile!);
    }, 200);
    this.persistTimer.unref();
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
    this.persistDurably();
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
    this.persistDurably();
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
    this.persistDurably();
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
    this.changed();
    if (this.webhookUrl) {
      this.outbox.push({ event, attempt: 1 });
      setImmediate(() => this.pump());
    }
    return clone(event);
  }

  /** The `Stripe-Signature` header of `payload` at `timestamp` (seconds), as Stripe computes it. */
  signatureHeader(payload: string, timestamp = now(), secret = this.webhookSecret): string {
    return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  }

  /** POSTs one event to `url`, signed; resolves to the HTTP status. */
  async deliver(event: SandboxEvent, url = this.webhookUrl): Promise<number> {
    if (!url) throw new Error('no webhook URL');
    const payload = JSON.stringify(event, null, 2);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'stripe-signature': this.signatureHeader(payload),
      },
      body: payload,
    });
    await res.arrayBuffer();
    return res.status;
  }

  private pump() {
    while (!this.closed && this.delivering < this.deliveryConcurrency && this.outbox.length > 0) {
      const item = this.outbox.shift()!;
      this.delivering += 1;
      void this.deliver(item.event)
        .then((status) => status >= 200 && status < 300)
        .catch(() => false)
        .then((ok) => {
          this.delivering -= 1;
          if (ok) this.deliveryStats.ok += 1;
          else {
            this.deliveryStats.failed += 1;
            // Stripe retries for days with backoff; the sandbox retries a few times, quickly.
            if (item.attempt < 6 && !this.closed) {
              const t = setTimeout(
                () => {
                  this.timers.delete(t);
                  this.outbox.push({ event: item.event, attempt: item.attempt + 1 });
                  this.pump();
                },
                250 * 2 ** item.attempt,
              );
              t.unref();
              this.timers.add(t);
            }
          }
          this.pump();
        });
    }
  }

  /** Resolves once every queued delivery has been attempted. */
  async drain(): Promise<void> {
    while (this.outbox.length > 0 || this.delivering > 0)
      await new Promise((r) => setTimeout(r, 10));
  }

  /** The customer's subscriptions that are not over (for the portal page). */
  subscriptionsOf(customerId: string): Obj[] {
    return this.listSubscriptions({ customer: customerId, status: 'all' }).filter(
      (s) => s.status !== 'canceled' && s.status !== 'incomplete_expired',
    );
  }

  /** Writes the state file now (a benchmark hands a prepared state to a sandbox process). */
  persistNow() {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = null;
    if (this.persistFile) fs.writeFileSync(this.persistFile, JSON.stringify(this.state));
  }

  close() {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = null;
      if (this.persistFile) fs.writeFileSync(this.persistFile, JSON.stringify(this.state));
    }
  }
}

/** Only http: and https: URLs are stored or redirected to (never `javascript:`, `data:`…). */
export function isWebUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function assertWebUrl(param: string, value: unknown) {
  if (!isWebUrl(value)) {
    throw new SandboxError(
      400,
      `Invalid URL: ${param} must be an http: or https: URL`,
      'invalid_request_error',
      'url_invalid',
    );
  }
}

/** The subscription an invoice belongs to (current API: under parent.subscription_details). */
export function subscriptionOfInvoice(invoice: Record<string, unknown>): string | null {
  const parent = invoice.parent as
    { subscription_details?: { subscription?: unknown } | null } | null | undefined;
  const sub = parent?.subscription_details?.subscription;
  if (typeof sub === 'string') return sub;
  if (sub && typeof sub === 'object' && 'id' in sub) return String((sub as { id: unknown }).id);
  return null;
}
