import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import {
  DEMO_ACCOUNT,
  FakeGoogle,
  type FakeAccount,
  type FakeGoogleOptions,
} from '../../src/server/sandbox/google/fake-google.ts';
import type { TestTenant } from './factories.ts';

export const TEST_CLIENT_ID = 'test-client.apps.googleusercontent.com';
export const TEST_CLIENT_SECRET = 'test-client-secret';

export interface GoogleTestServer {
  url: string;
  fake: FakeGoogle;
  /** The environment that points the app at this server. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A Google-compatible server on 127.0.0.1 (OAuth, Search Console, GA4 Data and Admin with
 * Google's shapes, paging and errors): the same code as the app's sandbox, with consent given at
 * once (autoApprove) unless a test says otherwise.
 */
export async function startGoogleServer(
  options: Partial<FakeGoogleOptions> = {},
): Promise<GoogleTestServer> {
  const fake = new FakeGoogle({
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    autoApprove: true,
    termsPerDay: 6,
    ...options,
  });
  const server = http.createServer(fake.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    fake,
    env: {
      GOOGLE_CLIENT_ID: TEST_CLIENT_ID,
      GOOGLE_CLIENT_SECRET: TEST_CLIENT_SECRET,
      GOOGLE_API_BASE: url,
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An account like the demo one, under another id (tests that need two Google accounts). */
export function otherAccount(sub: string, email: string, currency = 'USD'): FakeAccount {
  return {
    ...DEMO_ACCOUNT,
    sub,
    email,
    properties: DEMO_ACCOUNT.properties.map((p) => ({ ...p, currency: p.currency === 'EUR' ? 'EUR' : currency })),
  };
}

/**
 * Runs the browser's part of a connection: start it, follow Google's consent (approved at once)
 * and come back to the callback as the signed-in user. Returns the callback's answer.
 */
export async function connectGoogle(tenant: TestTenant, client = tenant.owner.client) {
  const start = await client.post('/api/v1/integrations/google');
  expect(start.status, start.text).toBe(201);
  const consent = await fetch(start.body.authorizationUrl, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  const back = new URL(consent.headers.get('location')!);
  const res = await client.get(`${back.pathname}${back.search}`);
  return { res, authorizationUrl: start.body.authorizationUrl as string, callback: `${back.pathname}${back.search}` };
}

/** Connects and returns the connection's id. */
export async function connectedIntegration(tenant: TestTenant): Promise<string> {
  const { res } = await connectGoogle(tenant);
  expect(res.status, res.text).toBe(303);
  const id = new URL(res.headers.get('location')!).searchParams.get('connected');
  expect(id).toBeTruthy();
  return id!;
}
