import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, buildTenant, createApiKey, setPlan, signUp } from '../support/factories.ts';
import {
  connectGoogle,
  connectedIntegration,
  otherAccount,
  startGoogleServer,
  TEST_CLIENT_ID,
  type GoogleTestServer,
} from '../support/google-server.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { DEMO_ACCOUNT } from '../../src/server/sandbox/google/fake-google.ts';

let google: GoogleTestServer;
let app: TestApp;
beforeAll(async () => {
  google = await startGoogleServer({
    accounts: [DEMO_ACCOUNT, otherAccount('108000000000000000002', 'second@example.com')],
    accountPageSize: 1,
  });
  app = await startTestApp({ env: google.env });
});
afterAll(async () => {
  await app.close();
  await google.close();
});

async function connectionRows(tenantId: string) {
  const rows = await sql<{ id: string; refresh_token_sealed: string; status: string }>`
    SELECT id, refresh_token_sealed, status FROM google_connections WHERE tenant_id = ${tenantId}`.execute(
    app.database.db,
  );
  return rows.rows;
}

describe('connecting a Google account', () => {
  it('sends the browser to Google with PKCE and a single-use state, stores the connection sealed and lists it', async () => {
    const tenant = await buildTenant(app);
    const { res, authorizationUrl, callback } = await connectGoogle(tenant);
    const auth = new URL(authorizationUrl);
    expect(`${auth.origin}${auth.pathname}`).toBe(`${google.url}/o/oauth2/v2/auth`);
    const q = auth.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(TEST_CLIENT_ID);
    expect(q.get('redirect_uri')).toBe(`${app.config.appUrl}/api/v1/integrations/google/callback`);
    expect(q.get('scope')).toBe(
      'https://www.googleapis.com/auth/webmasters.readonly https://www.googleapis.com/auth/analytics.readonly openid email',
    );
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')!.length).toBeGreaterThanOrEqual(43);
    expect(q.get('state')!.length).toBeGreaterThan(40);

    expect(res.status, res.text).toBe(303);
    expect(res.headers.get('location')).toMatch(
      new RegExp(`^${app.config.appUrl}/integrations\\?connected=[0-9a-f-]{36}$`),
    );
    // The token exchange sent the PKCE verifier (the fake server checked it against the challenge).
    const exchange = google.fake.requests(/^POST \/token$/).at(-1)!;
    expect(exchange.body).toMatchObject({ grant_type: 'authorization_code' });
    expect((exchange.body as Record<string, string>).code_verifier).toBeTruthy();

    const list = await tenant.owner.client.get('/api/v1/integrations');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      data: [
        {
          id: expect.any(String),
          provider: 'google',
          account: DEMO_ACCOUNT.email,
          status: 'active',
          lastError: null,
          createdAt: expect.any(String),
        },
      ],
      nextCursor: null,
    });
    expect(JSON.stringify(list.body)).not.toMatch(/1\/\/rt/);
    const [row] = await connectionRows(tenant.id);
    expect(row!.refresh_token_sealed).toMatch(/^v1\./);
    expect(row!.refresh_token_sealed).not.toContain('1//rt');

    // The state was used: the same callback again is 400 and stores nothing new.
    const again = await tenant.owner.client.get(callback);
    expect(again.status).toBe(400);
    expect(await connectionRows(tenant.id)).toHaveLength(1);

    const audit = await tenant.owner.client.get('/api/v1/audit-logs?action=integration.connected');
    expect(audit.body.data).toHaveLength(1);
    expect(JSON.stringify(audit.body)).not.toMatch(/1\/\/rt|ya29/);
  });

  it('connecting the same account again reactivates the same connection; another account is another', async () => {
    const tenant = await buildTenant(app);
    const first = await connectedIntegration(tenant);
    const second = await connectedIntegration(tenant);
    expect(second).toBe(first);
    const audit = await tenant.owner.client.get(
      '/api/v1/audit-logs?action=integration.reconnected',
    );
    expect(audit.body.data).toHaveLength(1);

    google.fake.accounts.reverse();
    try {
      const third = await connectedIntegration(tenant);
      expect(third).not.toBe(first);
    } finally {
      google.fake.accounts.reverse();
    }
    const list = await tenant.owner.client.get('/api/v1/integrations?limit=1');
    expect(list.body.data).toHaveLength(1);
    const next = await tenant.owner.client.get(
      `/api/v1/integrations?limit=1&cursor=${list.body.nextCursor}`,
    );
    expect(next.body.data).toHaveLength(1);
    expect(next.body.nextCursor).toBeNull();
  });

  it('refuses a bad, expired, foreign or wrong-workspace state with 400 and stores nothing', async () => {
    const tenant = await buildTenant(app);
    await setPlan(app, tenant, 'starter');
    const other = await buildTenant(app, 'Other');
    const start = async () => {
      const res = await tenant.owner.client.post('/api/v1/integrations/google');
      const consent = await fetch(res.body.authorizationUrl, { redirect: 'manual' });
      const back = new URL(consent.headers.get('location')!);
      return `${back.pathname}${back.search}`;
    };

    expect(
      (await tenant.owner.client.get('/api/v1/integrations/google/callback?code=x&state=nonsense'))
        .status,
    ).toBe(400);
    const forged = `${tenant.id}.${'a'.repeat(43)}`;
    expect(
      (await tenant.owner.client.get(`/api/v1/integrations/google/callback?code=x&state=${forged}`))
        .status,
    ).toBe(400);

    // Another signed-in user (even one in the same workspace) cannot finish it.
    const callback = await start();
    const admin = await addMember(app, tenant, 'admin');
    expect((await admin.client.get(callback)).status).toBe(400);
    const stranger = await signUp(app);
    expect((await stranger.client.get(callback)).status).toBe(400);
    // Named another workspace: 400.
    expect((await tenant.owner.client.get(callback, { tenant: other.id })).status).toBe(400);
    expect(await connectionRows(tenant.id)).toHaveLength(0);

    // The original, still unused, works for its own user.
    const ok = await tenant.owner.client.get(callback);
    expect(ok.status, ok.text).toBe(303);
    expect(await connectionRows(tenant.id)).toHaveLength(1);

    // Expired: 400, nothing changes.
    const late = await start();
    await sql`UPDATE google_oauth_states SET expires_at = now() - interval '1 second'
              WHERE tenant_id = ${tenant.id}`.execute(app.database.db);
    const lateRes = await tenant.owner.client.get(late);
    expect(lateRes.status).toBe(400);
    expect(await connectionRows(tenant.id)).toHaveLength(1);

    // Consent refused at Google: 400, nothing stored.
    google.fake.autoApprove = false;
    try {
      const res = await tenant.owner.client.post('/api/v1/integrations/google');
      const page = await fetch(res.body.authorizationUrl);
      expect(await page.text()).toContain('<main>');
      const state = new URL(res.body.authorizationUrl).searchParams.get('state')!;
      const denied = await tenant.owner.client.get(
        `/api/v1/integrations/google/callback?error=access_denied&state=${encodeURIComponent(state)}`,
      );
      expect(denied.status).toBe(400);
    } finally {
      google.fake.autoApprove = true;
    }
    expect(await connectionRows(tenant.id)).toHaveLength(1);
  });

  it('only owners and admins connect and disconnect; clients see no connections; other workspaces get 404', async () => {
    const tenant = await buildTenant(app);
    await setPlan(app, tenant, 'starter');
    const id = await connectedIntegration(tenant);
    const member = await addMember(app, tenant, 'member');
    const client = await addMember(app, tenant, 'client');
    expect((await member.client.post('/api/v1/integrations/google')).status).toBe(403);
    expect((await member.client.delete(`/api/v1/integrations/${id}`)).status).toBe(403);
    expect((await member.client.get('/api/v1/integrations')).status).toBe(200);
    expect((await client.client.get('/api/v1/integrations')).status).toBe(403);
    expect((await client.client.get(`/api/v1/integrations/${id}/properties`)).status).toBe(403);

    const other = await buildTenant(app, 'Other');
    expect((await other.owner.client.get(`/api/v1/integrations/${id}/properties`)).status).toBe(
      404,
    );
    expect((await other.owner.client.delete(`/api/v1/integrations/${id}`)).status).toBe(404);
    expect((await other.owner.client.get('/api/v1/integrations')).body.data).toEqual([]);
    // An API key of the workspace may start a connection (the key's creator finishes it).
    const key = await createApiKey(tenant, 'admin');
    const started = await tenant.owner.client.post('/api/v1/integrations/google', undefined, {
      apiKey: key,
    });
    expect(started.status).toBe(201);
  });

  it('lists Search Console sites and every page of GA4 account summaries', async () => {
    const tenant = await buildTenant(app);
    const id = await connectedIntegration(tenant);
    const before = google.fake.requests(/accountSummaries/).length;
    const res = await tenant.owner.client.get(`/api/v1/integrations/${id}/properties`);
    expect(res.status, res.text).toBe(200);
    expect(res.body.searchConsole).toEqual(DEMO_ACCOUNT.sites);
    expect(res.body.analytics).toEqual(
      DEMO_ACCOUNT.properties.map((p) => ({
        propertyId: p.propertyId,
        displayName: p.displayName,
        account: p.account,
      })),
    );
    // Two accounts, one summary per page: two pages read.
    expect(google.fake.requests(/accountSummaries/).length - before).toBe(2);
  });

  it('disconnecting revokes the token at Google, unlinks the sites and succeeds when Google already revoked it', async () => {
    const tenant = await buildTenant(app);
    const id = await connectedIntegration(tenant);
    const site = await tenant.owner.client.post('/api/v1/sites', {
      name: 'S',
      domain: 's.example.com',
    });
    const link = await tenant.owner.client.put(`/api/v1/sites/${site.body.id}/sources`, {
      integrationId: id,
      searchConsoleProperty: 'https://www.example.com/',
    });
    expect(link.status, link.text).toBe(200);

    const revokes = google.fake.requests(/^POST \/revoke$/).length;
    const del = await tenant.owner.client.delete(`/api/v1/integrations/${id}`);
    expect(del.status, del.text).toBe(204);
    expect(google.fake.requests(/^POST \/revoke$/).length).toBe(revokes + 1);
    expect((await tenant.owner.client.get('/api/v1/integrations')).body.data).toEqual([]);
    expect((await tenant.owner.client.get(`/api/v1/sites/${site.body.id}/sources`)).status).toBe(
      404,
    );
    expect((await tenant.owner.client.get(`/api/v1/sites/${site.body.id}`)).status).toBe(200);
    const audit = await tenant.owner.client.get(
      '/api/v1/audit-logs?action=integration.disconnected',
    );
    expect(audit.body.data[0].changes.unlinkedSites).toEqual([site.body.id]);

    // Revoked at Google already (the user did it in their Google account): still succeeds.
    const again = await connectedIntegration(tenant);
    const [row] = await connectionRows(tenant.id);
    expect(row!.id).toBe(again);
    google.fake.faults.push({
      match: /^POST \/revoke$/,
      status: 400,
      body: { error: 'invalid_token', error_description: 'Token expired or revoked' },
    });
    expect((await tenant.owner.client.delete(`/api/v1/integrations/${again}`)).status).toBe(204);
    expect(await connectionRows(tenant.id)).toHaveLength(0);
  });
});
