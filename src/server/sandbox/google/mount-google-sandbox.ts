import type { Express } from 'express';
import type { AppServices } from '../../services.ts';
import { GOOGLE_SANDBOX_PATH } from '../mount-path.ts';
import { FakeGoogle } from './fake-google.ts';

/**
 * With sandboxes on, no GOOGLE_CLIENT_ID and no GOOGLE_API_BASE, this process serves the offline
 * Google sandbox at `/sandbox/google` with Google's own paths below it: a consent page with a demo
 * account, its Search Console and GA4 properties, and data generated deterministically from the
 * property and the day. Its client secret is generated once (DATA_DIR) and signs its tokens, so
 * connections survive a restart and only tokens this sandbox issued open its data. Not mounted at
 * all when the sandboxes are off.
 */
export function mountGoogleSandbox(app: Express, services: AppServices): void {
  const { config, google } = services;
  if (config.googleMode !== 'sandbox' || config.GOOGLE_API_BASE || !google) return;
  const fake = new FakeGoogle({
    clientId: google.settings.clientId,
    clientSecret: google.settings.clientSecret,
    signingSecret: google.settings.clientSecret,
    termsPerDay: 40,
    banner:
      'Google sandbox: offline, demo data generated for this project. No Google account is used.',
  });
  app.use(GOOGLE_SANDBOX_PATH, fake.handle);
}
