import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import type { AppServices } from '../services.ts';
import { createSandboxRouter } from './sandbox-router.ts';
import { StripeSandbox } from './sandbox-state.ts';

/** Where the app serves its own sandbox (API at `<path>/v1`, pages at `<path>/checkout/:id`…). */
export const SANDBOX_MOUNT_PATH = '/sandbox/stripe';

/**
 * Without STRIPE_SECRET_KEY, the API process serves the offline Stripe sandbox itself: the Stripe
 * SDK talks to `<APP_URL>/sandbox/stripe`, and paid checkouts post signed events to our own webhook.
 * Its state is kept in `<DATA_DIR>/stripe-sandbox.json` (in memory under NODE_ENV=test).
 */
export function mountSandbox(app: Express, services: AppServices): void {
  const { config } = services;
  if (config.stripeMode !== 'sandbox') return;
  let persistFile: string | undefined;
  if (config.NODE_ENV !== 'test') {
    fs.mkdirSync(config.dataDir, { recursive: true });
    persistFile = path.join(config.dataDir, 'stripe-sandbox.json');
  }
  const sandbox = new StripeSandbox({
    publicUrl: () => `${config.appUrl}${SANDBOX_MOUNT_PATH}`,
    webhookUrl: () => `${config.appUrl}/api/v1/billing/webhooks/stripe`,
    persistFile,
  });
  app.use(SANDBOX_MOUNT_PATH, createSandboxRouter(sandbox));
}
