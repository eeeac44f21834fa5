import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../../src/server/config.ts';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { applySubscription } from '../../src/server/domain/billing/apply-subscription.ts';
import { createStripeClient } from '../../src/server/domain/billing/stripe-client.ts';
import { projectRoot } from '../../src/server/lib/project-root.ts';
import { loadSandboxSecrets } from '../../src/server/sandbox/sandbox-secrets.ts';
import { buildTenant, eventually } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import {
  auditActions,
  customerOf,
  eventsOfCustomer,
  pay,
  startBillingHarness,
  startCheckout,
  TEST_SECRET_KEY,
  waitSettled,
  waitSubscription,
  type BillingHarness,
} from './billing-harness.ts';

/** The fixed development key the sandbox used to accept (it was in the source). */
const OLD_FIXED_KEY = 'sk_test_roi_sandbox_development_only';

describe('SANDBOXES and production configuration', () => {
  it('production without Stripe keys stops naming them; an empty value is unset', () => {
    for (const env of [
      { NODE_ENV: 'production' },
      { NODE_ENV: 'production', STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: ' ' },
      { NODE_ENV: 'production', SANDBOXES: 'off' },
    ]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/STRIPE_SECRET_KEY.*STRIPE_WEBHOOK_SECRET/);
    }
    const prod = loadConfig({
      NODE_ENV: 'production',
      STRIPE_SECRET_KEY: 'sk_live_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
    });
    expect(prod.sandboxes).toBe(false);
    expect(prod.stripeMode).toBe('stripe');
    expect(loadConfig({ NODE_ENV: 'production', SANDBOXES: 'on' }).stripeMode).toBe('sandbox');
    expect(loadConfig({}).stripeMode).toBe('sandbox');
    expect(loadConfig({ SANDBOXES: 'off' }).stripeMode).toBe('off');
    expect(() => loadConfig({ SANDBOXES: 'maybe' })).toThrow(/SANDBOXES/);
  });

  it('the sandbox secrets are nowhere in the source', () => {
    const dir = path.join(projectRoot(), 'src/server');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' });
    for (const f of files.filter((x) => x.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(text, f).not.toMatch(/sk_test_roi_sandbox|whsec_roi_sandbox/);
    }
  });

  it('sandbox secrets are generated per data directory, kept with mode 0600', () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-secrets-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-secrets-'));
    try {
      const first = loadSandboxSecrets(a);
      expect(loadSandboxSecrets(a)).toEqual(first);
      expect(loadSandboxSecrets(b).secretKey).not.toBe(first.secretKey);
      expect(first.secretKey).toMatch(/^sk_test_/);
      expect(first.webhookSecret).toMatch(/^whsec_/);
      const mode = fs.statSync(path.join(a, 'stripe-sandbox-secrets.json')).mode & 0o777;
      expect(mode).toBe(0o600);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });
});

describe('sandboxes off, no Stripe keys', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SANDBOXES: 'off' } });
  });
  afterAll(async () => {
    await app.close();
  });

  it('billing answers 503 "not configured", writes nothing, and no sandbox is mounted', async () => {
    const tenant = await buildTenant(app);
    const before = await auditActions(app, tenant.id);
    for (const path of ['/api/v1/billing/checkout', '/api/v1/billing/portal']) {
      const res = await tenant.owner.client.post(path, { plan: 'starter' });
      expect(res.status, res.text).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.detail).toMatch(/billing is not configured/i);
    }
    expect(await auditActions(app, tenant.id)).toEqual(before);
    const sub = await tenant.owner.client.get('/api/v1/billing/subscription');
    expect(sub.status).toBe(200);
    expect(sub.body.status).toBe('none');
    const hook = await fetch(`${app.baseUrl}/api/v1/billing/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' },
      body: '{}',
    });
    expect(hook.status).toBe(503);
    const api = await fetch(`${app.baseUrl}/sandbox/stripe/v1/events`, {
      headers: { authorization: `Bearer ${OLD_FIXED_KEY}` },
    });
    expect(api.status).toBe(404);
  });
});

describe('the sandbox served by the app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('its API refuses the old fixed key and anonymous callers: only the app process has the key', async () => {
    const tenant = await buildTenant(app);
    expect(
      (await tenant.owner.client.post('/api/v1/billing/checkout', { plan: 'pro' })).status,
    ).toBe(201);
    for (const auth of [`Bearer ${OLD_FIXED_KEY}`, '', 'Bearer sk_test_guess']) {
      const res = await fetch(`${app.baseUrl}/sandbox/stripe/v1/events`, {
        headers: auth ? { authorization: auth } : {},
      });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('evt_');
    }
    // Pages are reachable by their unguessable session id only.
    const page = await fetch(`${app.baseUrl}/sandbox/stripe/portal/bps_guess`);
    expect(page.status).toBe(404);
  });
});

describe('checkout against a Stripe-compatible server', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness({ autoDeliver: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a second checkout while a subscription is starting or running is 409 naming the portal', async () => {
    const tenant = await buildTenant(h.app);
    const first = await startCheckout(tenant, 'starter');
    // Paid at Stripe; its events are not delivered yet, so nothing is applied here.
    await pay(h, first.url);
    const second = await tenant.owner.client.post('/api/v1/billing/checkout', { plan: 'pro' });
    expect(second.status, second.text).toBe(409);
    expect(second.body.detail).toMatch(/portal/);
  });

  it('a checkout retried with its Idempotency-Key replays the first session, opening no second one', async () => {
    const tenant = await buildTenant(h.app);
    const headers = { 'idempotency-key': `checkout-${tenant.id}` };
    const created = vi.spyOn(h.stripe.sandbox, 'createCheckoutSession');
    const count = () => created.mock.calls.length;
    const first = await tenant.owner.client.post(
      '/api/v1/billing/checkout',
      { plan: 'pro' },
      { headers },
    );
    expect(first.status, first.text).toBe(201);
    const sessions = count();
    const retry = await tenant.owner.client.post(
      '/api/v1/billing/checkout',
      { plan: 'pro' },
      { headers },
    );
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(count()).toBe(sessions);
    const other = await tenant.owner.client.post(
      '/api/v1/billing/checkout',
      { plan: 'starter' },
      { headers },
    );
    expect(other.status).toBe(409);
    expect(count()).toBe(sessions);
    created.mockRestore();
  });

  it('the sandbox refuses javascript: (and other non-web) return URLs', async () => {
    const stripe = createStripeClient(TEST_SECRET_KEY, h.stripe.url);
    const customer = await stripe.customers.create({ name: 'x' });
    for (const [field, url] of [
      ['success_url', 'javascript:alert(document.cookie)'],
      ['cancel_url', 'javascript:alert(1)'],
      ['success_url', 'data:text/html,<script>alert(1)</script>'],
    ] as const) {
      await expect(
        stripe.checkout.sessions.create({
          mode: 'subscription',
          customer: customer.id,
          line_items: [{ price: 'price_sandbox_starter', quantity: 1 }],
          success_url: 'https://app.example/ok',
          [field]: url,
        }),
      ).rejects.toThrow(/http: or https:/);
    }
    await expect(
      stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'javascript:x' }),
    ).rejects.toThrow(/http: or https:/);
  });

  it('a hanging Stripe call does not hold up another workspace', async () => {
    const slow = await buildTenant(h.app);
    const other = await buildTenant(h.app);
    h.stripe.sandbox.latencyMs = 2500;
    try {
      const started = Date.now();
      const received = h.stripe.sandbox.requestsReceived;
      const checkout = slow.owner.client.post('/api/v1/billing/checkout', { plan: 'pro' });
      // Once the checkout has reached Stripe, it is waiting on the slow server.
      await eventually(async () => h.stripe.sandbox.requestsReceived > received);
      const t0 = Date.now();
      const sites = await other.owner.client.get('/api/v1/sites');
      const tookMs = Date.now() - t0;
      expect(sites.status).toBe(200);
      expect(tookMs).toBeLessThan(1500);
      expect((await checkout).status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    } finally {
      h.stripe.sandbox.latencyMs = 0;
    }
  });
});

describe('applying Stripe state', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness({ autoDeliver: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a slow Stripe read by the worker does not hold up another workspace', async () => {
    const paying = await buildTenant(h.app);
    const other = await buildTenant(h.app);
    await pay(h, (await startCheckout(paying, 'pro')).url);
    const events = eventsOfCustomer(h.stripe, await customerOf(h.app, paying.id));
    h.stripe.sandbox.latencyMs = 2500;
    try {
      const received = h.stripe.sandbox.requestsReceived;
      for (const e of events) expect(await h.stripe.sandbox.deliver(e, h.webhookUrl)).toBe(200);
      // Once the worker's read has reached Stripe, it is waiting on the slow server.
      await eventually(async () => h.stripe.sandbox.requestsReceived > received);
      const t0 = Date.now();
      const sites = await other.owner.client.get('/api/v1/sites');
      expect(sites.status).toBe(200);
      expect(Date.now() - t0).toBeLessThan(1500);
      await waitSettled(
        h.app,
        events.map((e) => e.id),
        30_000,
      );
    } finally {
      h.stripe.sandbox.latencyMs = 0;
    }
    await waitSubscription(paying, { plan: 'pro', status: 'active' });
  });

  it('a read older than the one applied never overwrites it', async () => {
    const tenant = await buildTenant(h.app);
    await pay(h, (await startCheckout(tenant, 'starter')).url);
    const events = eventsOfCustomer(h.stripe, await customerOf(h.app, tenant.id));
    for (const e of events) await h.stripe.sandbox.deliver(e, h.webhookUrl);
    const active = await waitSubscription(tenant, { plan: 'starter', status: 'active' });
    const stripe = createStripeClient(TEST_SECRET_KEY, h.stripe.url);
    const sub = await stripe.subscriptions.retrieve(active.subscriptionId);
    const stale = { ...sub, status: 'canceled' as const };
    const changed = await inTransaction(h.app.database, { tenantId: tenant.id }, (tx) =>
      applySubscription(
        tx,
        h.app.services.billing.prices,
        tenant.id,
        stale,
        { type: 'stripe', id: null, label: 'stale read' },
        new Date(Date.now() - 3_600_000),
      ),
    );
    expect(changed).toBe(false);
    await waitSubscription(tenant, { plan: 'starter', status: 'active' });
  });
});
