import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitSubscription } from './billing-harness.ts';

/** No Stripe keys: the app serves its own sandbox and the whole flow works offline. */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const form = (url: string, fields: Record<string, string>) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });

describe('offline sandbox (no STRIPE_SECRET_KEY)', () => {
  it('checkout page → Pay → signed events to our own webhook → plan; portal → switch and cancel', async () => {
    expect(app.config.stripeMode).toBe('sandbox');
    const tenant = await buildTenant(app);
    const checkout = await tenant.owner.client.post('/api/v1/billing/checkout', {
      plan: 'starter',
    });
    expect(checkout.status, checkout.text).toBe(201);
    expect(checkout.body.url).toMatch(
      new RegExp(`^${app.config.appUrl}/sandbox/stripe/checkout/cs_test_`),
    );
    const page = await fetch(checkout.body.url);
    expect(page.headers.get('content-type')).toMatch(/html/);
    const html = await page.text();
    expect(html).toContain('Subscribe to Starter');
    expect(html).toMatch(/<button[^>]*>Pay<\/button>/);
    const paid = await form(`${checkout.body.url}/pay`, {});
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toMatch(
      new RegExp(`^${app.config.appUrl}/billing\\?checkout=success`),
    );
    const active = await waitSubscription(tenant, { plan: 'starter', status: 'active' });

    const portal = await tenant.owner.client.post('/api/v1/billing/portal');
    expect(portal.status).toBe(200);
    const portalHtml = await (await fetch(portal.body.url)).text();
    expect(portalHtml).toContain('Switch to Pro');
    expect(portalHtml).toContain('Cancel subscription');
    expect(portalHtml).toContain(`href="${app.config.appUrl}/billing"`);
    expect(
      (
        await form(`${portal.body.url}/action`, {
          subscription: active.subscriptionId,
          action: 'switch:price_sandbox_pro',
        })
      ).status,
    ).toBe(303);
    await waitSubscription(tenant, { plan: 'pro', status: 'active' });
    expect(
      (
        await form(`${portal.body.url}/action`, {
          subscription: active.subscriptionId,
          action: 'cancel_now',
        })
      ).status,
    ).toBe(303);
    await waitSubscription(tenant, { plan: 'free', status: 'canceled' });
  });
});
