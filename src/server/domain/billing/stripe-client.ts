import { assertOutsideTransaction } from '../../data/scoped-transaction.ts';
import Stripe from 'stripe';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { BillingSettings } from './billing-deps.ts';

/** Price ids of the paid plans when STRIPE_PRICE_* are unset: the sandbox's. */
export const DEFAULT_PRICE_IDS = {
  starter: 'price_sandbox_starter',
  pro: 'price_sandbox_pro',
  agency: 'price_sandbox_agency',
} as const;

/** Where and how to reach Stripe: real keys, or the generated secrets of the local sandbox. */
export interface StripeConnection {
  secretKey: string;
  webhookSecret: string;
  /**
   * A Stripe-compatible server (STRIPE_API_BASE, or the sandbox's own URL); default api.stripe.com.
   * Read on first use: the app's own URL may be known only once it listens.
   */
  apiBase(): string | undefined;
}

/**
 * The billing settings of this process. `connection` is null when billing is off (SANDBOXES=off
 * and no Stripe keys): every Stripe call is then a 503 "billing is not configured".
 */
export function createBillingSettings(
  config: Config,
  connection: StripeConnection | null,
): BillingSettings {
  let client: Stripe | undefined;
  return {
    mode: connection ? config.stripeMode : 'off',
    webhookSecret: connection?.webhookSecret ?? null,
    prices: {
      starter: config.STRIPE_PRICE_STARTER ?? DEFAULT_PRICE_IDS.starter,
      pro: config.STRIPE_PRICE_PRO ?? DEFAULT_PRICE_IDS.pro,
      agency: config.STRIPE_PRICE_AGENCY ?? DEFAULT_PRICE_IDS.agency,
    },
    graceDays: config.BILLING_GRACE_DAYS,
    stripe() {
      // Every Stripe call starts here: none may wait inside a database transaction.
      assertOutsideTransaction('a Stripe call');
      if (!connection) {
        throw new AppError(
          'unavailable',
          'Billing is not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or SANDBOXES=on',
        );
      }
      client ??= createStripeClient(connection.secretKey, connection.apiBase());
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
