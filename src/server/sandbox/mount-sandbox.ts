import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import type { AppServices } from '../services.ts';
import { SANDBOX_MOUNT_PATH } from './mount-path.ts';
import { createSandboxRouter } from './sandbox-router.ts';
import { StripeSandbox } from './sandbox-state.ts';

export { SANDBOX_MOUNT_PATH };

/**
 * With sandboxes on and no STRIPE_SECRET_KEY, the API process serves the offline Stripe sandbox
 * itself: the Stripe SDK talks to `<APP_URL>/sandbox/stripe` with the generated secret key only
 * this process knows, and browsers reach a checkout or portal page only by its unguessable session
 * id. Its state is kept in `<DATA_DIR>/stripe-sandbox.json` (in memory under NODE_ENV=test).
 * Not mounted at all when the sandboxes are off.
 */
export function mountSandbox(app: Express, services: AppServices): void {
  const { config, sandboxSecrets } = services;
  if (config.stripeMode !== 'sandbox' || !sandboxSecrets) return;
  let persistFile: string | undefined;
  if (config.NODE_ENV !== 'test') {
    fs.mkdirSync(config.dataDir, { recursive: true });
    persistFile = path.join(config.dataDir, 'stripe-sandbox.json');
  }
  const sandbox = new StripeSandbox({
    ...sandboxSecrets,
    publicUrl: () => `${config.appUrl}${SANDBOX_MOUNT_PATH}`,
    webhookUrl: () => `${config.appUrl}/api/v1/billing/webhooks/stripe`,
    persistFile,
  });
  app.use(SANDBOX_MOUNT_PATH, createSandboxRouter(sandbox));
}
