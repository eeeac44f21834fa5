import Stripe from 'stripe';
import type { Config } from '../../config.ts';
import { SANDBOX_MOUNT_PATH } from '../../sandbox/mount-sandbox.ts';
import {
  SANDBOX_PRICES,
  SANDBOX_SECRET_KEY,
  SANDBOX_WEBHOOK_SECRET,
} from '../../sandbox/sandbox-state.ts';
import type { PaidPlanId } from './plans.ts';

/** Billing settings of this process: which Stripe, which secrets, which prices. */
export interface BillingSettings {
  mode: 'stripe' | 'sandbox';
  webhookSecret: string;
  /** Stripe price id of each paid plan. */
  prices: Record<PaidPlanId, string>;
  graceDays: number;
  /** The Stripe client, built on first use (APP_URL may be known only once the server listens). */
  stripe(): Stripe;
}

/**
 * With STRIPE_SECRET_KEY: the real Stripe (or the Stripe-compatible server at STRIPE_API_BASE).
 * Without: the sandbox this process serves at `<APP_URL>/sandbox/stripe` with its fixed,
 * development-only key and webhook secret.
 */
export function createBillingSettings(config: Config): BillingSettings {
  const sandbox = config.stripeMode === 'sandbox';
  let client: Stripe | undefined;
  return {
    mode: config.stripeMode,
    webhookSecret: sandbox ? SANDBOX_WEBHOOK_SECRET : config.STRIPE_WEBHOOK_SECRET!,
    prices: {
      starter: config.STRIPE_PRICE_STARTER ?? SANDBOX_PRICES.starter.id,
      pro: config.STRIPE_PRICE_PRO ?? SANDBOX_PRICES.pro.id,
      agency: config.STRIPE_PRICE_AGENCY ?? SANDBOX_PRICES.agency.id,
    },
    graceDays: config.BILLING_GRACE_DAYS,
    stripe() {
      client ??= createStripeClient(
        sandbox ? SANDBOX_SECRET_KEY : config.STRIPE_SECRET_KEY!,
        sandbox ? `${config.appUrl}${SANDBOX_MOUNT_PATH}` : config.STRIPE_API_BASE,
      );
      return client;
    },
  };
}

/**
 * A Stripe SDK client for `apiBase` (default api.stripe.com). The SDK always requests `/v1/...`
 * from its host; a base URL with a path (`http://host/sandbox/stripe`) is honoured by prefixing
 * that path in a thin wrapper around the SDK's own Node HTTP client.
 */
export function createStripeClient(secretKey: string, apiBase?: string): Stripe {
  if (!apiBase) return new Stripe(secretKey, { maxNetworkRetries: 2, timeout: 20_000 });
  const url = new URL(apiBase);
  const protocol = url.protocol === 'https:' ? 'https' : 'http';
  const prefix = url.pathname.replace(/\/+$/, '');
  const inner = Stripe.createNodeHttpClient();
  const httpClient = prefix
    ? ({
        getClientName: () => inner.getClientName(),
        makeRequest: (host, port, path, method, headers, data, proto, timeout) =>
          inner.makeRequest(host, port, `${prefix}${path}`, method, headers, data, proto, timeout),
      } as Stripe.HttpClient)
    : inner;
  return new Stripe(secretKey, {
    host: url.hostname,
    port: Number(url.port || (protocol === 'https' ? 443 : 80)),
    protocol,
    httpClient,
    maxNetworkRetries: 2,
    timeout: 20_000,
  });
}
