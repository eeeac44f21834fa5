import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTenant, signUp, uniq } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

/** GET with a Host header (fetch cannot set one). */
function getWithHost(
  host: string,
  path: string,
  cookie: string,
): Promise<{ status: number; body: any }> {
  const url = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, headers: { host, cookie } },
      (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: data ? JSON.parse(data) : null }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('workspaces', () => {
  it('creates a workspace whose creator is owner, on the free plan', async () => {
    const { client } = await signUp(app);
    const subdomain = `acme-${uniq()}`;
    const res = await client.post('/api/v1/tenants', { name: 'Acme SEO', subdomain });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'Acme SEO',
      subdomain,
      plan: 'free',
      createdAt: expect.any(String),
    });
    const me = await client.get('/api/v1/me');
    expect(me.body.memberships).toEqual([
      { tenant: { id: res.body.id, name: 'Acme SEO', subdomain }, role: 'owner' },
    ]);
  });

  it.each([
    ['ab', 'too short'],
    ['a'.repeat(64), 'too long'],
    ['-acme', 'leading hyphen'],
    ['acme-', 'trailing hyphen'],
    ['ac_me', 'underscore'],
    ['www', 'reserved'],
    ['api', 'reserved'],
    ['admin', 'reserved'],
  ])('rejects the subdomain %s (%s) with 400 and writes nothing', async (subdomain) => {
    const { client } = await signUp(app);
    const res = await client.post('/api/v1/tenants', { name: 'X', subdomain });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('subdomain');
    expect((await client.get('/api/v1/me')).body.memberships).toEqual([]);
  });

  it('answers 409 for a taken subdomain, and says so before creation', async () => {
    const tenant = await buildTenant(app);
    const { client } = await signUp(app);
    const check = await client.get(`/api/v1/subdomains/${tenant.subdomain}`);
    expect(check.body).toEqual({ subdomain: tenant.subdomain, available: false, reason: 'taken' });
    expect((await client.get(`/api/v1/subdomains/free-${uniq()}`)).body.available).toBe(true);
    expect((await client.get('/api/v1/subdomains/www')).body).toMatchObject({
      available: false,
      reason: 'reserved',
    });
    const res = await client.post('/api/v1/tenants', { name: 'X', subdomain: tenant.subdomain });
    expect(res.status).toBe(409);
  });

  it('never takes id, plan or tenant_id from the client', async () => {
    const { client } = await signUp(app);
    const forged = '00000000-0000-4000-8000-000000000001';
    const res = await client.post('/api/v1/tenants', {
      name: 'X',
      subdomain: `m-${uniq()}`,
      plan: 'agency',
      id: forged,
      tenant_id: forged,
    });
    expect(res.status).toBe(201);
    expect(res.body.plan).toBe('free');
    expect(res.body.id).not.toBe(forged);
    client.tenant = res.body.id;
    const patch = await client.patch('/api/v1/tenant', {
      name: 'Y',
      plan: 'agency',
      subdomain: 'hijack',
      id: forged,
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({
      id: res.body.id,
      name: 'Y',
      plan: 'free',
      subdomain: res.body.subdomain,
    });
  });

  it('reads and changes settings, merging branding', async () => {
    const t = await buildTenant(app);
    const get = await t.owner.client.get('/api/v1/tenant');
    expect(get.body).toMatchObject({ id: t.id, currency: 'USD', timezone: 'UTC', branding: {} });
    const patch = await t.owner.client.patch('/api/v1/tenant', {
      currency: 'EUR',
      timezone: 'Europe/Paris',
      branding: { primaryColor: '#112233' },
    });
    expect(patch.status).toBe(200);
    await t.owner.client.patch('/api/v1/tenant', { branding: { reportTitle: 'Monthly ROI' } });
    const after = await t.owner.client.get('/api/v1/tenant');
    expect(after.body).toMatchObject({
      currency: 'EUR',
      timezone: 'Europe/Paris',
      branding: { primaryColor: '#112233', reportTitle: 'Monthly ROI' },
    });
  });

  it('rejects bad settings with 400 naming each field', async () => {
    const t = await buildTenant(app);
    const res = await t.owner.client.patch('/api/v1/tenant', {
      currency: 'dollars',
      timezone: 'Mars/Olympus',
      branding: { primaryColor: 'red' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'branding.primaryColor',
      'currency',
      'timezone',
    ]);
    expect((await t.owner.client.get('/api/v1/tenant')).body.currency).toBe('USD');
  });

  it('finds the tenant by X-Tenant-ID (id or subdomain) or by host', async () => {
    const t = await buildTenant(app);
    expect((await t.owner.client.get('/api/v1/tenant', { tenant: t.subdomain })).body.id).toBe(
      t.id,
    );
    expect(
      (await t.owner.client.get('/api/v1/tenant', { tenant: t.subdomain.toUpperCase() })).body.id,
    ).toBe(t.id);
    const cookie = [...t.owner.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const byHost = await getWithHost(`${t.subdomain}.localhost`, '/api/v1/tenant', cookie);
    expect(byHost.status).toBe(200);
    expect(byHost.body.id).toBe(t.id);
    const stranger = await buildTenant(app);
    const foreign = await getWithHost(`${stranger.subdomain}.localhost`, '/api/v1/tenant', cookie);
    expect(foreign.status).toBe(404);
  });

  it('asks for a tenant when none is named', async () => {
    const t = await buildTenant(app);
    t.owner.client.tenant = undefined;
    const res = await t.owner.client.get('/api/v1/tenant');
    expect(res.status).toBe(400);
  });

  it('serves settings from a cache that a change invalidates', async () => {
    const t = await buildTenant(app);
    await t.owner.client.get('/api/v1/tenant');
    await t.owner.client.patch('/api/v1/tenant', { name: 'Fresh name' });
    expect((await t.owner.client.get('/api/v1/tenant')).body.name).toBe('Fresh name');
  });
});
