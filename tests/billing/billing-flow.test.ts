import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import {
  lockAuditChain,
  recordAuditEvent,
  type Actor,
} from '../../src/server/domain/audit/record-audit-event.ts';
import { NO_META } from '../../src/server/domain/billing/billing-values.ts';
import { buildTenant, eventually } from '../support/factories.ts';
import {
  auditActions,
  customerOf,
  pay,
  startBillingHarness,
  startCheckout,
  waitSubscription,
  type BillingHarness,
} from './billing-harness.ts';
import { announceIdentityChanges, tenantIdentity } from '../../src/server/data/identity-changes.ts';

const SYSTEM: Actor = { type: 'system', id: null, label: 'test' };

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness({ autoDeliver: true });
});
afterAll(async () => {
  await h.close();
});

async function portalAction(portalUrl: string, subscriptionId: string, action: string) {
  const res = await fetch(`${portalUrl}/action`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ subscription: subscriptionId, action }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
}

describe('billing life cycle through the Stripe-compatible server', () => {
  it('lists the plans publicly', async () => {
    const res = await h.app.client().get('/api/v1/billing/plans');
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.data.map((p: { id: string }) => [p.id, p]));
    expect(Object.keys(byId)).toEqual(['free', 'starter', 'pro', 'agency']);
    expect(byId.free.limits).toMatchObject({ sites: 2, members: 2 });
    expect(byId.starter.limits).toMatchObject({ sites: 10, members: 5 });
    expect(byId.pro.limits).toMatchObject({ sites: 50, members: 20 });
    expect(byId.agency.limits).toMatchObject({ sites: null, members: null });
  });

  it('checkout → paid → plan change → failed payment (grace) → unpaid (free) → recovered → canceled', async () => {
    const tenant = await buildTenant(h.app);
    const none = await tenant.owner.client.get('/api/v1/billing/subscription');
    expect(none.body).toMatchObject({ plan: 'free', status: 'none', pastDue: false });

    const session = await startCheckout(tenant, 'pro');
    expect(session.url.startsWith(`${h.stripe.url}/checkout/`)).toBe(true);
    const customer = await customerOf(h.app, tenant.id);
    const stripeSession = h.stripe.sandbox.checkoutSession(session.id);
    expect(stripeSession).toMatchObject({
      mode: 'subscription',
      customer,
      client_reference_id: tenant.id,
    });
    expect(h.stripe.sandbox.customer(customer).metadata).toEqual({ tenant_id: tenant.id });

    const back = await pay(h, session.url);
    expect(back).toBe(`${h.app.config.appUrl}/billing?checkout=success&session_id=${session.id}`);
    const active = await waitSubscription(tenant, {
      plan: 'pro',
      status: 'active',
      cancelAtPeriodEnd: false,
    });
    expect(active.currentPeriodEnd).toMatch(/^\d{4}-\d\d-\d\dT/);
    const sub = h.stripe.sandbox.subscription(active.subscriptionId);
    expect(sub.metadata).toEqual({ tenant_id: tenant.id });
    const invoices = await tenant.owner.client.get('/api/v1/billing/invoices');
    expect(invoices.body.data).toHaveLength(1);
    expect(invoices.body.data[0]).toMatchObject({
      status: 'paid',
      amountDue: 9900,
      amountPaid: 9900,
      currency: 'USD',
    });

    // A member sees the billing state on the workspace settings (banner), not the billing routes.
    const settings = await tenant.owner.client.get('/api/v1/tenant');
    expect(settings.body).toMatchObject({ plan: 'pro', billingStatus: 'active', pastDue: false });

    // A second checkout while subscribed would bill twice.
    const again = await tenant.owner.client.post('/api/v1/billing/checkout', { plan: 'starter' });
    expect(again.status).toBe(409);

    const portal = await tenant.owner.client.post('/api/v1/billing/portal');
    expect(portal.status, portal.text).toBe(200);
    const portalPage = await (await fetch(portal.body.url)).text();
    expect(portalPage).toContain('Switch to Agency');
    expect(portalPage).toContain('Cancel subscription');

    await portalAction(portal.body.url, sub.id, 'switch:price_sandbox_agency');
    await waitSubscription(tenant, { plan: 'agency', status: 'active' });

    await portalAction(portal.body.url, sub.id, 'fail_payment');
    const pastDue = await waitSubscription(tenant, {
      status: 'past_due',
      plan: 'agency',
      pastDue: true,
    });
    const graceDays = (Date.parse(pastDue.graceEndsAt) - Date.now()) / 86_400_000;
    expect(graceDays).toBeGreaterThan(13.9);
    expect(graceDays).toBeLessThanOrEqual(14);
    const banner = await tenant.owner.client.get('/api/v1/tenant');
    expect(banner.body).toMatchObject({ billingStatus: 'past_due', pastDue: true, plan: 'agency' });

    await portalAction(portal.body.url, sub.id, 'mark_unpaid');
    await waitSubscription(tenant, { status: 'unpaid', plan: 'free', subscribedPlan: 'agency' });

    await portalAction(portal.body.url, sub.id, 'recover');
    await waitSubscription(tenant, { status: 'active', plan: 'agency' });

    await portalAction(portal.body.url, sub.id, 'cancel');
    await waitSubscription(tenant, { status: 'active', plan: 'agency', cancelAtPeriodEnd: true });
    await portalAction(portal.body.url, sub.id, 'advance');
    await waitSubscription(tenant, { status: 'canceled', plan: 'free' });

    const all = await tenant.owner.client.get('/api/v1/billing/invoices');
    expect(all.body.data.map((i: { status: string }) => i.status)).toEqual([
      'paid',
      'paid',
      'paid',
    ]);

    const actions = (await auditActions(h.app, tenant.id)).map((a) => a.action);
    expect(actions).toContain('billing.customer_created');
    expect(actions).toContain('billing.checkout_started');
    expect(actions.filter((a) => a === 'subscription.created')).toHaveLength(1);
    expect(actions.filter((a) => a === 'invoice.created')).toHaveLength(3);
    const planChanges = (await auditActions(h.app, tenant.id))
      .filter((a) => a.action === 'tenant.plan_changed')
      .map((a) => (a.changes as { plan: { to: string } }).plan.to);
    expect(planChanges).toEqual(['pro', 'agency', 'free', 'agency', 'free']);

    // A new checkout after the cancellation reuses the customer.
    const second = await startCheckout(tenant, 'starter');
    expect(await customerOf(h.app, tenant.id)).toBe(customer);
    expect(h.stripe.sandbox.checkoutSession(second.id).customer).toBe(customer);
  });

  it('the cancel button returns to the cancel URL and changes nothing', async () => {
    const tenant = await buildTenant(h.app);
    const session = await startCheckout(tenant, 'starter');
    const res = await fetch(`${session.url}/cancel`, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${h.app.config.appUrl}/billing?checkout=canceled`);
    const sub = await tenant.owner.client.get('/api/v1/billing/subscription');
    expect(sub.body).toMatchObject({ plan: 'free', status: 'none' });
  });

  it('concurrent first checkouts make one Stripe customer', async () => {
    const tenant = await buildTenant(h.app);
    const results = await Promise.all(
      [1, 2, 3].map(() => tenant.owner.client.post('/api/v1/billing/checkout', { plan: 'pro' })),
    );
    for (const r of results) expect(r.status, r.text).toBe(201);
    const customer = await customerOf(h.app, tenant.id);
    const ids = new Set(results.map((r) => h.stripe.sandbox.checkoutSession(r.body.id).customer));
    expect([...ids]).toEqual([customer]);
  });

  // Embedded PostgreSQL has one session: transactions there never wait on each other's locks.
  it.runIf(process.env.DATABASE_URL)(
    'a first checkout waits behind an audited write of its workspace instead of deadlocking with it',
    async () => {
      const tenant = await buildTenant(h.app);
      // The checkout waits on the head this test holds (and only a writer of this workspace would).
      const lockWaits = async () => {
        const { rows } = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND datname = current_database()
            AND query LIKE '%audit_chain_heads%'`.execute(h.app.database.db);
        return rows[0]!.n > 0;
      };
      let checkout: ReturnType<typeof tenant.owner.client.post> | undefined;
      // An audited write (a setting changed, a subscription applied) holds the audit chain head
      // while the checkout records its new customer id, then records its own event.
      await inTransaction(h.app.database, { tenantId: tenant.id }, async (tx) => {
        await lockAuditChain(tx, tenant.id);
        checkout = tenant.owner.client.post('/api/v1/billing/checkout', { plan: 'pro' });
        await eventually(lockWaits, 20_000);
        await recordAuditEvent(tx, tenant.id, SYSTEM, NO_META, { action: 'test.audited_write' });
      });
      const res = await checkout!;
      expect(res.status, res.text).toBe(201);
      expect(await customerOf(h.app, tenant.id)).toBe(
        h.stripe.sandbox.checkoutSession((res.body as { id: string }).id).customer,
      );
    },
  );

  it('plan limits: over the limit is 402 naming it; upgrading lifts it; canceling restores free limits without deleting', async () => {
    const tenant = await buildTenant(h.app);
    const addSite = (n: number) =>
      tenant.owner.client.post('/api/v1/sites', {
        name: `Site ${n}`,
        domain: `s${n}-${tenant.subdomain}.example.com`,
      });
    expect((await addSite(1)).status).toBe(201);
    expect((await addSite(2)).status).toBe(201);
    const over = await addSite(3);
    expect(over.status).toBe(402);
    expect(over.body).toMatchObject({
      type: '/problems/plan-limit/sites',
      status: 402,
      limit: 'sites',
      max: 2,
    });

    const invite = (n: number) =>
      tenant.owner.client.post('/api/v1/invitations', {
        email: `m${n}-${tenant.subdomain}@example.test`,
        role: 'member',
      });
    expect((await invite(1)).status).toBe(201);
    const overMembers = await invite(2);
    expect(overMembers.status).toBe(402);
    expect(overMembers.body.type).toBe('/problems/plan-limit/members');

    const session = await startCheckout(tenant, 'starter');
    await pay(h, session.url);
    const active = await waitSubscription(tenant, { plan: 'starter', status: 'active' });
    expect((await addSite(3)).status).toBe(201);

    h.stripe.sandbox.cancelNow(active.subscriptionId);
    await waitSubscription(tenant, { plan: 'free', status: 'canceled' });
    const sites = await tenant.owner.client.get('/api/v1/sites');
    expect(sites.body.data).toHaveLength(3);
    expect((await addSite(4)).status).toBe(402);
  });

  it('a past_due workspace past its grace period gets the free limits at once, and the worker moves it to free', async () => {
    const tenant = await buildTenant(h.app);
    const session = await startCheckout(tenant, 'pro');
    await pay(h, session.url);
    const active = await waitSubscription(tenant, { plan: 'pro', status: 'active' });
    for (let n = 1; n <= 3; n++) {
      const r = await tenant.owner.client.post('/api/v1/sites', {
        name: `S${n}`,
        domain: `g${n}-${tenant.subdomain}.example.com`,
      });
      expect(r.status).toBe(201);
    }
    h.stripe.sandbox.failPayment(active.subscriptionId);
    await waitSubscription(tenant, { status: 'past_due', plan: 'pro' });
    // Move the start of the grace period back beyond the grace days.
    await inTransaction(h.app.database, { tenantId: tenant.id }, async (tx) => {
      await tx
        .updateTable('billing_subscriptions')
        .set({ past_due_since: new Date(Date.now() - 15 * 86_400_000) })
        .where('tenant_id', '=', tenant.id)
        .execute();
      await announceIdentityChanges(tx, [tenantIdentity(tenant.id)]);
      await tx
        .updateTable('tenants')
        .set({ billing_grace_ends_at: new Date(Date.now() - 86_400_000) })
        .where('id', '=', tenant.id)
        .execute();
    });
    const over = await tenant.owner.client.post('/api/v1/sites', {
      name: 'S4',
      domain: `g4-${tenant.subdomain}.example.com`,
    });
    expect(over.status).toBe(402);
    const { applyEndedGracePeriods } =
      await import('../../src/server/domain/billing/reconcile-billing.ts');
    await applyEndedGracePeriods(h.app.services);
    const after = await waitSubscription(tenant, {
      status: 'past_due',
      plan: 'free',
      pastDue: true,
    });
    expect(after.subscribedPlan).toBe('pro');
    const audit = await auditActions(h.app, tenant.id);
    const last = audit.filter((a) => a.action === 'tenant.plan_changed').at(-1)!;
    expect(last).toMatchObject({ actor_type: 'system' });
    expect(last.changes).toMatchObject({ plan: { from: 'pro', to: 'free' } });
  });

  it('members and clients cannot use the billing routes', async () => {
    const tenant = await buildTenant(h.app);
    const { addMember } = await import('../support/factories.ts');
    const member = await addMember(h.app, tenant, 'member');
    for (const [method, path] of [
      ['post', '/api/v1/billing/checkout'],
      ['post', '/api/v1/billing/portal'],
      ['get', '/api/v1/billing/subscription'],
      ['get', '/api/v1/billing/invoices'],
      ['get', '/api/v1/billing/webhook-events'],
    ] as const) {
      const res =
        method === 'get'
          ? await member.client.get(path)
          : await member.client.post(path, { plan: 'pro' });
      expect(res.status, path).toBe(403);
    }
    await eventually(async () => true);
  });
});
