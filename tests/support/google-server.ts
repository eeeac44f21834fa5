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
import type { TestApp } from './test-app.ts';

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
    properties: DEMO_ACCOUNT.properties.map((p) => ({
      ...p,
      currency: p.currency === 'EUR' ? 'EUR' : currency,
    })),
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
  return {
    res,
    authorizationUrl: start.body.authorizationUrl as string,
    callback: `${back.pathname}${back.search}`,
  };
}

/** Connects and returns the connection's id. */
export async function connectedIntegration(tenant: TestTenant): Promise<string> {
  const { res } = await connectGoogle(tenant);
  expect(res.status, res.text).toBe(303);
  const id = new URL(res.headers.get('location')!).searchParams.get('connected');
  expect(id).toBeTruthy();
  return id!;
}

/**
 * The browser's part of a connection against the app's own Google sandbox (`/sandbox/google`,
 * served when no Google is configured): start, approve the demo account on the consent page, and
 * return the callback path with its code and state (not yet called).
 */
export async function sandboxConsent(app: TestApp, tenant: TestTenant): Promise<string> {
  const start = await tenant.owner.client.post('/api/v1/integrations/google', undefined, {
    tenant: tenant.id,
  });
  expect(start.status, start.text).toBe(201);
  const auth = new URL(start.body.authorizationUrl);
  const form = new URLSearchParams(auth.searchParams);
  form.set('account', DEMO_ACCOUNT.sub);
  form.set('decision', 'allow');
  const decided = await fetch(`${auth.origin}${auth.pathname}/decide`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  expect(decided.status).toBe(302);
  const back = new URL(decided.headers.get('location')!);
  return `${back.pathname}${back.search}`;
}

/** Connects the demo account of the app's own sandbox; returns the connection id. */
export async function sandboxIntegration(app: TestApp, tenant: TestTenant): Promise<string> {
  const callback = await sandboxConsent(app, tenant);
  const res = await tenant.owner.client.get(callback, { tenant: tenant.id });
  expect(res.status, res.text).toBe(303);
  return new URL(res.headers.get('location')!).searchParams.get('connected')!;
}

/** A site linked to the sandbox's first Search Console property; returns both ids. */
export async function sandboxLinkedSite(app: TestApp, tenant: TestTenant) {
  const integrationId = await sandboxIntegration(app, tenant);
  const site = await tenant.owner.client.post(
    '/api/v1/sites',
    { name: 'Linked', domain: 'www.example.com' },
    { tenant: tenant.id },
  );
  expect(site.status, site.text).toBe(201);
  const res = await tenant.owner.client.put(
    `/api/v1/sites/${site.body.id}/sources`,
    { integrationId, searchConsoleProperty: DEMO_ACCOUNT.sites[0]!.siteUrl },
    { tenant: tenant.id },
  );
  expect(res.status, res.text).toBe(200);
  return { integrationId, siteId: site.body.id as string };
}
