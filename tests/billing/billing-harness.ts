import { expect } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { startSandboxServer, type SandboxServer } from '../../src/server/sandbox/sandbox-server.ts';
import type { SandboxEvent } from '../../src/server/sandbox/sandbox-state.ts';
import { eventually, type TestTenant } from '../support/factories.ts';
import { startTestApp, type StartTestAppOptions, type TestApp } from '../support/test-app.ts';

export const TEST_SECRET_KEY = 'sk_test_billing_suite';
export const TEST_WEBHOOK_SECRET = 'whsec_billing_suite_secret';

/**
 * The app pointed at a Stripe-compatible server of the test's own (the sandbox on its own port
 * with its own state), through STRIPE_API_BASE: the same code path as production, real SDK over HTTP.
 */
export interface BillingHarness {
  app: TestApp;
  stripe: SandboxServer;
  webhookUrl: string;
  /** Turn automatic webhook delivery (like Stripe's) on or off; off, tests deliver by hand. */
  setAutoDelivery(on: boolean): void;
  close(): Promise<void>;
}

export async function startBillingHarness(
  options: { autoDeliver?: boolean; env?: Record<string, string>; app?: StartTestAppOptions } = {},
): Promise<BillingHarness> {
  let hookUrl: string | null = null;
  const stripe = await startSandboxServer({
    secretKey: TEST_SECRET_KEY,
    webhookSecret: TEST_WEBHOOK_SECRET,
    webhookUrl: () => hookUrl,
  });
  const app = await startTestApp({
    ...options.app,
    env: {
      STRIPE_SECRET_KEY: TEST_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      STRIPE_API_BASE: stripe.url,
      BILLING_SWEEP_AFTER_MS: '1500',
      BILLING_RETRY_BACKOFF_MS: '50',
      BILLING_JOB_ATTEMPTS: '3',
      ...options.env,
      ...options.app?.env,
    },
  });
  const webhookUrl = `${app.baseUrl}/api/v1/billing/webhooks/stripe`;
  if (options.autoDeliver) hookUrl = webhookUrl;
  return {
    app,
    stripe,
    webhookUrl,
    setAutoDelivery(on) {
      hookUrl = on ? webhookUrl : null;
    },
    async close() {
      await stripe.sandbox.drain();
      await app.close();
      await stripe.close();
    },
  };
}

/** POST /billing/checkout as the owner; returns the Checkout Session. */
export async function startCheckout(
  tenant: TestTenant,
  plan: string,
): Promise<{ id: string; url: string }> {
  const res = await tenant.owner.client.post('/api/v1/billing/checkout', { plan });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** Presses "Pay" on the hosted checkout page; returns where the browser is sent. */
export async function pay(h: BillingHarness, sessionUrl: string): Promise<string> {
  const page = await fetch(sessionUrl);
  expect(await page.text()).toContain('>Pay<');
  const res = await fetch(`${sessionUrl}/pay`, { method: 'POST', redirect: 'manual' });
  expect(res.status).toBe(303);
  return res.headers.get('location')!;
}

/** The tenant's Stripe customer id. */
export async function customerOf(app: TestApp, tenantId: string): Promise<string> {
  const row = await inTransaction(app.database, {}, (tx) =>
    tx
      .selectFrom('tenants')
      .select('stripe_customer_id')
      .where('id', '=', tenantId)
      .executeTakeFirstOrThrow(),
  );
  return row.stripe_customer_id!;
}

/** Events the sandbox emitted about a customer (oldest first). */
export function eventsOfCustomer(stripe: SandboxServer, customerId: string): SandboxEvent[] {
  return stripe.sandbox
    .allEvents()
    .filter(
      (e) =>
        (e.data as { object: { customer?: unknown; id?: unknown } }).object.customer === customerId,
    );
}

/** Audit actions of a tenant, oldest first. */
export async function auditActions(app: TestApp, tenantId: string) {
  return inTransaction(app.database, { tenantId }, (tx) =>
    tx
      .selectFrom('audit_events')
      .select(['action', 'actor_type', 'actor_id', 'target_id', 'changes'])
      .where('tenant_id', '=', tenantId)
      .orderBy('seq')
      .execute(),
  );
}

/** Inbox rows by id. */
export async function inboxRows(app: TestApp, ids: string[]) {
  if (ids.length === 0) return [];
  return inTransaction(app.database, {}, (tx) =>
    tx
      .selectFrom('stripe_webhook_events')
      .select(['id', 'type', 'status', 'attempts', 'resolved_tenant_id', 'last_error'])
      .where('id', 'in', ids)
      .execute(),
  );
}

/** Waits until every listed inbox row is settled (processed or ignored). */
export async function waitSettled(app: TestApp, ids: string[], timeoutMs = 20_000) {
  return eventually(async () => {
    const rows = await inboxRows(app, ids);
    return (
      rows.length === ids.length &&
      rows.every((r) => r.status === 'processed' || r.status === 'ignored') &&
      rows
    );
  }, timeoutMs);
}

/** Waits until the tenant's billing summary matches `expected`. */
export async function waitSubscription(
  tenant: TestTenant,
  expected: Record<string, unknown>,
  timeoutMs = 15_000,
) {
  return eventually(async () => {
    const res = await tenant.owner.client.get('/api/v1/billing/subscription');
    if (res.status !== 200) return false;
    return Object.entries(expected).every(([k, v]) => res.body[k] === v) && res.body;
  }, timeoutMs);
}

/** Fisher-Yates. */
export function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
