import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import {
  createStripeInbox,
  insertInboxEvents,
  verifyStripeWebhook,
} from '../../src/server/domain/billing/receive-stripe-webhook.ts';
import {
  reconcileStripeEvents,
  resyncAllSubscriptions,
} from '../../src/server/domain/billing/reconcile-billing.ts';
import { buildTenant, eventually, uniq, type TestTenant } from '../support/factories.ts';
import {
  auditActions,
  customerOf,
  eventsOfCustomer,
  inboxRows,
  pay,
  shuffle,
  startBillingHarness,
  startCheckout,
  TEST_WEBHOOK_SECRET,
  waitSettled,
  waitSubscription,
  type BillingHarness,
} from './billing-harness.ts';

let h: BillingHarness;
beforeAll(async () => {
  // Deliveries are made by hand: the tests choose order, duplication and timing.
  h = await startBillingHarness({ autoDeliver: false });
});
afterAll(async () => {
  await h.close();
});

const post = (payload: string, signature: string | undefined, contentType = 'application/json') =>
  fetch(h.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      ...(signature ? { 'stripe-signature': signature } : {}),
    },
    body: payload,
  });

const sign = (payload: string, opts: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? TEST_WEBHOOK_SECRET,
    timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
  });

const fakeEvent = (type = 'customer.subscription.updated', id = `evt_test${uniq()}${uniq()}`) => ({
  id,
  object: 'event',
  api_version: Stripe.API_VERSION,
  created: Math.floor(Date.now() / 1000),
  livemode: false,
  type,
  data: { object: { id: `sub_${uniq()}`, object: 'subscription', customer: `cus_${uniq()}` } },
});

/** A tenant with a paid subscription whose events were all delivered and processed. */
async function subscribedTenant(
  plan = 'pro',
): Promise<{ tenant: TestTenant; customer: string; subscriptionId: string }> {
  const tenant = await buildTenant(h.app);
  const session = await startCheckout(tenant, plan);
  await pay(h, session.url);
  const customer = await customerOf(h.app, tenant.id);
  const events = eventsOfCustomer(h.stripe, customer);
  for (const e of events) expect(await h.stripe.sandbox.deliver(e, h.webhookUrl)).toBe(200);
  await waitSettled(
    h.app,
    events.map((e) => e.id),
  );
  const summary = await waitSubscription(tenant, { plan, status: 'active' });
  return { tenant, customer, subscriptionId: summary.subscriptionId };
}

describe('webhook signature', () => {
  it('accepts the exact bytes signed, stores the event once, answers 200 to duplicates', async () => {
    const event = fakeEvent('customer.created');
    const payload = JSON.stringify(event, null, 2);
    const first = await post(payload, sign(payload));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ received: true, id: event.id, duplicate: false });
    const again = await post(payload, sign(payload));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    const rows = await inboxRows(h.app, [event.id]);
    // An unknown (unhandled) type is stored and ignored.
    expect(rows).toMatchObject([{ id: event.id, status: 'ignored' }]);
  });

  const rejected: [string, () => { payload: string; signature: string | undefined; id: string }][] =
    [
      [
        'a wrong secret',
        () => {
          const e = fakeEvent();
          const payload = JSON.stringify(e);
          return { payload, signature: sign(payload, { secret: 'whsec_someone_else' }), id: e.id };
        },
      ],
      [
        'a tampered body',
        () => {
          const e = fakeEvent();
          const payload = JSON.stringify(e);
          return {
            payload: payload.replace('"livemode":false', '"livemode":true'),
            signature: sign(payload),
            id: e.id,
          };
        },
      ],
      [
        'a timestamp 400 s old',
        () => {
          const e = fakeEvent();
          const payload = JSON.stringify(e);
          return {
            payload,
            signature: sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 400 }),
            id: e.id,
          };
        },
      ],
      [
        'a timestamp an hour in the future',
        () => {
          const e = fakeEvent();
          const payload = JSON.stringify(e);
          return {
            payload,
            signature: sign(payload, { timestamp: Math.floor(Date.now() / 1000) + 3600 }),
            id: e.id,
          };
        },
      ],
      [
        'a timestamp 400 s ahead',
        () => {
          const e = fakeEvent();
          const payload = JSON.stringify(e);
          return {
            payload,
            signature: sign(payload, { timestamp: Math.floor(Date.now() / 1000) + 400 }),
            id: e.id,
          };
        },
      ],
      [
        'a body parsed as JSON and re-serialized before verification',
        () => {
          // Stripe signs the bytes it sends (here: pretty-printed). A receiver that parses the JSON and
          // verifies JSON.stringify(parsed) checks other bytes: the signature of those is not Stripe's.
          const e = fakeEvent();
          const sent = JSON.stringify(e, null, 2);
          const reserialized = JSON.stringify(JSON.parse(sent));
          return { payload: reserialized, signature: sign(sent), id: e.id };
        },
      ],
      [
        'no signature',
        () => {
          const e = fakeEvent();
          return { payload: JSON.stringify(e), signature: undefined, id: e.id };
        },
      ],
    ];
  for (const [name, build] of rejected) {
    it(`rejects ${name} with 400 and stores nothing`, async () => {
      const { payload, signature, id } = build();
      const res = await post(payload, signature);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(await inboxRows(h.app, [id])).toEqual([]);
    });
  }

  it('accepts a signature dated within the tolerance ahead of our clock (Stripe clock skew)', async () => {
    const e = fakeEvent('customer.created');
    const payload = JSON.stringify(e);
    const res = await post(
      payload,
      sign(payload, { timestamp: Math.floor(Date.now() / 1000) + 200 }),
    );
    expect(res.status).toBe(200);
  });

  it('verifies the raw bytes whatever the content type says', async () => {
    const e = fakeEvent('customer.created');
    const payload = JSON.stringify(e);
    const res = await post(payload, sign(payload), 'text/plain');
    expect(res.status).toBe(200);
  });

  it('answers a body over 512 KiB with 413, by Content-Length or as it streams, and stores nothing', async () => {
    const e = { ...fakeEvent(), padding: 'x'.repeat(600 * 1024) };
    const payload = JSON.stringify(e);
    const declared = await post(payload, sign(payload));
    expect(declared.status).toBe(413);
    expect(declared.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await declared.json()).instance).toBe('/api/v1/billing/webhooks/stripe');
    // No Content-Length: the limit applies to the bytes as they arrive.
    const bytes = new TextEncoder().encode(payload);
    const streamed = await fetch(h.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload) },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 64 * 1024)
            controller.enqueue(bytes.slice(i, i + 64 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await inboxRows(h.app, [e.id])).toEqual([]);
  });

  it('gives each delivery a request id, its own when it sends a sane one', async () => {
    const e = fakeEvent('customer.created');
    const payload = JSON.stringify(e);
    const res = await fetch(h.webhookUrl, {
      method: 'POST',
      headers: { 'stripe-signature': sign(payload), 'x-request-id': 'stripe-delivery-1' },
      body: payload,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('stripe-delivery-1');
    expect(await res.json()).toEqual({ received: true, id: e.id, duplicate: false });
    const bad = await post('{"not": "an event"}', sign('{"not": "an event"}'));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is matched as Express matches paths: any case, a trailing slash allowed', async () => {
    const e = fakeEvent('customer.created');
    const payload = JSON.stringify(e);
    const res = await fetch(`${h.webhookUrl.replace('webhooks/stripe', 'Webhooks/Stripe')}/`, {
      method: 'POST',
      headers: { 'stripe-signature': sign(payload) },
      body: payload,
    });
    expect(res.status).toBe(200);
    expect((await res.json()).id).toBe(e.id);
  });

  it('is not served for other methods', async () => {
    const res = await fetch(h.webhookUrl);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('is never rate limited', async () => {
    const limited = await startBillingHarness({ env: { RATE_LIMIT_RPM: '2' } });
    try {
      for (let i = 0; i < 6; i++) {
        const e = fakeEvent('customer.created');
        const payload = JSON.stringify(e);
        const res = await fetch(limited.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload) },
          body: payload,
        });
        expect(res.status).toBe(200);
      }
    } finally {
      await limited.close();
    }
  });
});

describe('webhook inbox under concurrency', () => {
  it('stores concurrent deliveries each once, answering duplicates as such', async () => {
    const events = Array.from({ length: 40 }, () => fakeEvent('customer.created'));
    const payloads = events.map((e) => JSON.stringify(e));
    const replies = await Promise.all(
      [...payloads, ...payloads.slice(0, 10)].map((p) => post(p, sign(p))),
    );
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    const bodies = (await Promise.all(replies.map((r) => r.json()))) as { duplicate: boolean }[];
    expect(bodies.filter((b) => !b.duplicate)).toHaveLength(events.length);
    const rows = await inboxRows(
      h.app,
      events.map((e) => e.id),
    );
    expect(rows).toHaveLength(events.length);
  });

  it('an event the database refuses fails alone, not the deliveries batched with it', async () => {
    const inbox = createStripeInbox(h.app.services);
    const verified = (payload: string) =>
      verifyStripeWebhook(TEST_WEBHOOK_SECRET, Buffer.from(payload), sign(payload));
    const events = Array.from({ length: 10 }, () => fakeEvent('customer.created'));
    // Valid JSON that jsonb cannot hold (\u0000): the database refuses this one row.
    const refused = fakeEvent('customer.created');
    const refusedPayload = JSON.stringify(refused).replace(
      `"id":"${refused.id}"`,
      `"id":"${refused.id}","note":"\\u0000"`,
    );
    // Submitted in one tick: the first two are flushed alone, the rest together with `refused`.
    const submitted = [
      ...events.map((e) => inbox.submit(verified(JSON.stringify(e)))),
      inbox.submit(verified(refusedPayload)),
    ];
    const settled = await Promise.allSettled(submitted);
    expect(settled.map((r) => r.status)).toEqual(
      settled.map((_, i) => (i === events.length ? 'rejected' : 'fulfilled')),
    );
    const rows = await inboxRows(h.app, [...events.map((e) => e.id), refused.id]);
    expect(rows.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    await inbox.drain();
  });
});

describe('processing: order and duplicates do not matter', () => {
  it('every event of a checkout delivered three times, shuffled, concurrently → one state, one row per invoice, one audit event per effect', async () => {
    const tenant = await buildTenant(h.app);
    const session = await startCheckout(tenant, 'pro');
    await pay(h, session.url);
    const customer = await customerOf(h.app, tenant.id);
    const events = eventsOfCustomer(h.stripe, customer);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'customer.subscription.created',
        'invoice.paid',
        'checkout.session.completed',
      ]),
    );
    const deliveries = shuffle([...events, ...events, ...events]);
    const statuses = await Promise.all(
      deliveries.map((e) => h.stripe.sandbox.deliver(e, h.webhookUrl)),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    await waitSettled(
      h.app,
      events.map((e) => e.id),
    );

    const summary = await waitSubscription(tenant, {
      plan: 'pro',
      status: 'active',
      cancelAtPeriodEnd: false,
    });
    const stripeSub = h.stripe.sandbox.subscription(summary.subscriptionId);
    const item = (stripeSub.items as { data: { current_period_end: number }[] }).data[0]!;
    expect(summary.currentPeriodEnd).toBe(new Date(item.current_period_end * 1000).toISOString());

    const stripeInvoices = h.stripe.sandbox.listInvoices({ customer });
    const invoices = await tenant.owner.client.get('/api/v1/billing/invoices');
    expect(invoices.body.data.map((i: { id: string }) => i.id).sort()).toEqual(
      stripeInvoices.map((i) => i.id).sort(),
    );

    const rows = await inTransaction(h.app.database, { tenantId: tenant.id }, (tx) =>
      tx
        .selectFrom('billing_subscriptions')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .execute(),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'active', plan: 'pro' });

    const stripeActions = (await auditActions(h.app, tenant.id)).filter(
      (a) => a.actor_type === 'stripe',
    );
    const count = (action: string) => stripeActions.filter((a) => a.action === action).length;
    expect(count('subscription.created')).toBe(1);
    expect(count('invoice.created')).toBe(stripeInvoices.length);
    expect(count('tenant.plan_changed')).toBe(1);
    // Every effect is one audit event: no event repeats a change already applied.
    const keys = stripeActions.map(
      (a) => `${a.action}:${a.target_id}:${JSON.stringify(a.changes)}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a late stale event does not roll the state back', async () => {
    const tenant = await buildTenant(h.app);
    const session = await startCheckout(tenant, 'starter');
    await pay(h, session.url);
    const customer = await customerOf(h.app, tenant.id);
    const events = eventsOfCustomer(h.stripe, customer);
    const stale = events.filter((e) => e.type === 'customer.subscription.created');
    expect((stale[0]!.data as { object: { status: string } }).object.status).toBe('incomplete');
    const rest = events.filter((e) => !stale.includes(e));
    for (const e of rest) await h.stripe.sandbox.deliver(e, h.webhookUrl);
    await waitSettled(
      h.app,
      rest.map((e) => e.id),
    );
    const active = await waitSubscription(tenant, { plan: 'starter', status: 'active' });

    // The customer then cancels at period end; that event arrives…
    h.stripe.sandbox.cancelAtPeriodEnd(active.subscriptionId);
    const cancelEvent = eventsOfCustomer(h.stripe, customer).at(-1)!;
    await h.stripe.sandbox.deliver(cancelEvent, h.webhookUrl);
    await waitSettled(h.app, [cancelEvent.id]);
    await waitSubscription(tenant, { cancelAtPeriodEnd: true, status: 'active' });
    const before = (await auditActions(h.app, tenant.id)).length;

    // …and only now the first, stale event (status incomplete, not canceling).
    await h.stripe.sandbox.deliver(stale[0]!, h.webhookUrl);
    await waitSettled(h.app, [stale[0]!.id]);
    const after = await tenant.owner.client.get('/api/v1/billing/subscription');
    expect(after.body).toMatchObject({
      status: 'active',
      plan: 'starter',
      cancelAtPeriodEnd: true,
    });
    expect((await auditActions(h.app, tenant.id)).length).toBe(before);
  });
});

describe('nothing is lost', () => {
  it('an event that keeps failing is dead-lettered, listed for its tenant only, and replayable', async () => {
    const { tenant, customer, subscriptionId } = await subscribedTenant('pro');
    h.stripe.sandbox.failingObjects.add(subscriptionId);
    h.stripe.sandbox.cancelAtPeriodEnd(subscriptionId);
    const event = eventsOfCustomer(h.stripe, customer).at(-1)!;
    expect(await h.stripe.sandbox.deliver(event, h.webhookUrl)).toBe(200);
    const dead = await eventually(async () => {
      const res = await tenant.owner.client.get('/api/v1/billing/webhook-events');
      return res.body.data?.find((e: { id: string }) => e.id === event.id);
    });
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: 3,
      type: 'customer.subscription.updated',
    });
    expect(dead.lastError).toMatch(/Stripe call failed/);

    const other = await buildTenant(h.app);
    expect((await other.owner.client.get('/api/v1/billing/webhook-events')).body.data).toEqual([]);
    const foreign = await other.owner.client.post(
      `/api/v1/billing/webhook-events/${event.id}/replay`,
    );
    expect(foreign.status).toBe(404);

    h.stripe.sandbox.failingObjects.delete(subscriptionId);
    const replay = await tenant.owner.client.post(
      `/api/v1/billing/webhook-events/${event.id}/replay`,
    );
    expect(replay.status, replay.text).toBe(202);
    await waitSettled(h.app, [event.id]);
    await waitSubscription(tenant, { cancelAtPeriodEnd: true });
    const actions = (await auditActions(h.app, tenant.id)).map((a) => a.action);
    expect(actions).toContain('billing.webhook_event_replayed');
  });

  it('the sweeper processes a stored event whose queue message was lost', async () => {
    const { tenant, customer, subscriptionId } = await subscribedTenant('starter');
    h.stripe.sandbox.cancelAtPeriodEnd(subscriptionId);
    const event = eventsOfCustomer(h.stripe, customer).at(-1)!;
    const payload = JSON.stringify(event);
    // Stored exactly as the webhook stores it, but never enqueued (the enqueue after commit was lost).
    const verified = verifyStripeWebhook(TEST_WEBHOOK_SECRET, Buffer.from(payload), sign(payload));
    await inTransaction(h.app.database, {}, (tx) => insertInboxEvents(tx, [verified]));
    await waitSettled(h.app, [event.id], 20_000);
    await waitSubscription(tenant, { cancelAtPeriodEnd: true });
  });

  it('reconciliation reads the Events API and applies events the webhook never delivered', async () => {
    const { tenant, customer, subscriptionId } = await subscribedTenant('pro');
    h.stripe.sandbox.changePrice(subscriptionId, 'price_sandbox_agency');
    const missed = eventsOfCustomer(h.stripe, customer).filter(
      (e) => e.type.startsWith('invoice.') || e.type.startsWith('customer.subscription.'),
    );
    const known = new Set(
      (
        await inboxRows(
          h.app,
          missed.map((e) => e.id),
        )
      ).map((r) => r.id),
    );
    const undelivered = missed.filter((e) => !known.has(e.id));
    expect(undelivered.length).toBeGreaterThan(0);
    const found = await reconcileStripeEvents(
      h.app.services,
      Math.floor(Date.now() / 1000) - 3600,
      Math.floor(Date.now() / 1000) + 1,
    );
    expect(found).toBeGreaterThanOrEqual(undelivered.length);
    await waitSettled(
      h.app,
      undelivered.map((e) => e.id),
    );
    await waitSubscription(tenant, { plan: 'agency' });
    const rows = await inboxRows(
      h.app,
      undelivered.map((e) => e.id),
    );
    expect(rows.every((r) => r.resolved_tenant_id === tenant.id)).toBe(true);
  });

  it("the periodic re-sync brings a tenant back to Stripe's state without any event", async () => {
    const { tenant, subscriptionId } = await subscribedTenant('starter');
    h.stripe.sandbox.markUnpaid(subscriptionId);
    await resyncAllSubscriptions(h.app.services);
    await waitSubscription(tenant, { status: 'unpaid', plan: 'free' });
    const last = (await auditActions(h.app, tenant.id))
      .filter((a) => a.action === 'tenant.plan_changed')
      .at(-1)!;
    expect(last.actor_type).toBe('system');
  });

  it('an event for a customer no workspace has is dead-lettered without a tenant (operators replay it from the CLI)', async () => {
    const e = fakeEvent('customer.subscription.updated');
    const payload = JSON.stringify(e);
    expect((await post(payload, sign(payload))).status).toBe(200);
    const row = await eventually(async () => {
      const [r] = await inboxRows(h.app, [e.id]);
      return r?.status === 'dead' && r;
    });
    expect(row).toMatchObject({ resolved_tenant_id: null, attempts: 3 });
    expect(row.last_error).toMatch(/No workspace has Stripe customer/);
  });
});
