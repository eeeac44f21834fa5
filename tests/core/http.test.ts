import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/data/database.ts';
import { migrate } from '../../src/server/data/migrate.ts';
import { loadConfig, ConfigError } from '../../src/server/config.ts';
import { buildTenant, createApiKey, PASSWORD, signUp } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('HTTP basics', () => {
  it('answers health, readiness, OpenAPI 3.1 and the docs page', async () => {
    const c = app.client();
    expect((await c.get('/healthz')).status).toBe(200);
    const ready = await c.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe('ok');
    const doc = await c.get('/api/v1/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(
      doc.body.paths['/api/v1/auth/signup'].post.requestBody.content['application/json'].schema
        .properties.email,
    ).toBeDefined();
    expect(doc.body.paths['/api/v1/members/{userId}'].patch).toBeDefined();
  });

  it('serves the interactive API reference (Swagger UI) from its own origin under a strict CSP', async () => {
    const c = app.client();
    const docs = await c.get('/api/docs');
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toMatch(/html/);
    expect(docs.text).toContain('/api/docs/swagger-ui-bundle.js');
    expect(docs.text).toContain('/api/docs/api-reference.js');
    // Every asset is a path of this origin, and no script is inline.
    expect(docs.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(docs.text).not.toMatch(/<script>/);
    const csp = docs.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-eval');
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'api-reference.js']) {
      const res = await c.get(`/api/docs/${asset}`);
      expect(res.status, asset).toBe(200);
    }
    const init = await c.get('/api/docs/api-reference.js');
    expect(init.text).toContain("url: '/api/v1/openapi.json'");
    expect(init.text).toContain('persistAuthorization: false');
    // Only the files the page needs: not the package's demo page or its Petstore initializer.
    expect((await c.get('/api/docs/swagger-initializer.js')).status).toBe(404);
    const legacy = await c.get('/docs');
    expect(legacy.status).toBe(301);
    expect(legacy.headers.get('location')).toBe('/api/docs');
  });

  it('sets a request id, echoes a sane incoming one, and sends security headers', async () => {
    const res = await app.client().get('/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    const fresh = await app
      .client()
      .get('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('answers malformed JSON, wrong content type, oversize bodies and unknown routes with problem+json', async () => {
    const { client } = await signUp(app);
    const malformed = await client.request('POST', '/api/v1/tenants', {
      raw: '{"name": ',
      contentType: 'application/json',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const wrongType = await client.request('POST', '/api/v1/tenants', {
      raw: 'name=x',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(wrongType.status).toBe(415);
    const big = await client.request('POST', '/api/v1/tenants', {
      raw: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
      contentType: 'application/json',
    });
    expect(big.status).toBe(413);
    const missing = await client.get('/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ type: '/problems/not-found', status: 404 });
    const badId = await client.delete('/api/v1/api-keys/not-a-uuid', { tenant: 'whatever' });
    expect(badId.status).toBe(404);
  });

  it('never answers a stack trace', async () => {
    const res = await app
      .client()
      .request('POST', '/api/v1/auth/login', { raw: '[1,2', contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('rate limits', () => {
  it('limits requests per address with 429 and Retry-After', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_RPM: '5' } });
    try {
      const c = limited.client();
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await c.get('/api/v1/me')).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses[5]).toBe(429);
      const res = await c.get('/api/v1/me');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await c.get('/healthz')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('limits a tenant across addresses and principals', async () => {
    const t = await buildTenant(app);
    const keys = [await createApiKey(t, 'member'), await createApiKey(t, 'member')];
    const limited = await startTestApp({ env: { RATE_LIMIT_RPM: '8', TRUST_PROXY: 'true' } });
    try {
      const c = limited.client();
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await c.get('/api/v1/tenant', {
          apiKey: keys[i % 2]!,
          headers: { 'x-forwarded-for': `10.0.0.${i}` },
        });
        statuses.push(res.status);
      }
      expect(statuses.filter((s) => s === 200)).toHaveLength(8);
      expect(statuses.slice(8)).toEqual([429, 429]);
    } finally {
      await limited.close();
    }
  });

  it('RATE_LIMIT_RPM=0 turns the limits off but keeps sign-in throttling', async () => {
    const c = app.client();
    for (let i = 0; i < 30; i++) expect((await c.get('/api/v1/me')).status).toBe(401);
  });
});

describe('configuration', () => {
  it('names each bad variable', () => {
    expect(() =>
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', RATE_LIMIT_RPM: '-1' }),
    ).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', RATE_LIMIT_RPM: '-1' });
    } catch (e) {
      expect((e as Error).message).toMatch(/PORT/);
      expect((e as Error).message).toMatch(/DATABASE_URL/);
      expect((e as Error).message).toMatch(/RATE_LIMIT_RPM/);
    }
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'sk_test_x' })).toThrow(/STRIPE_WEBHOOK_SECRET/);
    expect(loadConfig({}).appUrl).toBe('http://localhost:3000');
  });
});

describe('the embedded database', () => {
  it.skipIf(process.env.DATABASE_URL)(
    'keeps data across a restart and refuses a second process',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-restart-'));
      try {
        const first = await openDatabase({ dataDir: dir });
        await migrate(first);
        const a = await startTestApp({ database: first });
        const t = await buildTenant(a);
        await a.close();
        await first.close();

        const second = await openDatabase({ dataDir: dir });
        expect(await migrate(second)).toEqual([]);
        const b = await startTestApp({ database: second });
        const login = await b
          .client()
          .post('/api/v1/auth/login', { email: t.owner.user.email, password: PASSWORD });
        expect(login.status).toBe(200);
        await b.close();
        await second.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(process.env.DATABASE_URL)(
    'refuses a data directory another live process holds',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-lock-'));
      try {
        fs.writeFileSync(path.join(dir, 'roi-spectrum.pid'), String(process.ppid));
        await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/in use by process/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('refuses to start when an applied migration changed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-mig-'));
    fs.writeFileSync(
      path.join(dir, '0001_demo.sql'),
      'CREATE TABLE IF NOT EXISTS demo_t (id int);',
    );
    const db = await openDatabase({ dataDir: 'memory://' });
    try {
      await migrate(db, dir);
      fs.writeFileSync(
        path.join(dir, '0001_demo.sql'),
        'CREATE TABLE IF NOT EXISTS demo_t (id bigint);',
      );
      await expect(migrate(db, dir)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
