import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.ts';
import {
  createFallbackRateLimiter,
  createRedisRateLimiter,
} from '../../src/server/infra/rate-limiter.ts';
import { REDIS_FAIL_FAST } from '../../src/server/services.ts';
import { buildTenant, createApiKey } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

/** A port on which nothing listens: a Redis that is down. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('configuration of numbers and proxies', () => {
  it('reads an empty numeric variable as unset (its default), never as 0', () => {
    const c = loadConfig({ RATE_LIMIT_RPM: '', PORT: ' ', BILLING_SWEEP_AFTER_MS: '' });
    expect(c.RATE_LIMIT_RPM).toBe(600);
    expect(c.PORT).toBe(3000);
    expect(c.BILLING_SWEEP_AFTER_MS).toBe(15_000);
    expect(loadConfig({ RATE_LIMIT_RPM: '0' }).RATE_LIMIT_RPM).toBe(0);
  });

  it('reads TRUST_PROXY as a number of hops (true = 1, false = 0, default 0)', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '' }).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    for (const bad of ['yes', '-1', '1.5', 'loopback']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });
});

describe('client address behind proxies', () => {
  it('takes the address TRUST_PROXY hops from the right of X-Forwarded-For, not what the client wrote', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_RPM: '3', TRUST_PROXY: 'true' } });
    try {
      const c = limited.client();
      const statuses: number[] = [];
      // The client writes a new address each time; the proxy appends the one it saw.
      for (let i = 0; i < 5; i++) {
        const res = await c.get('/api/v1/me', {
          headers: { 'x-forwarded-for': `10.9.0.${i}, 203.0.113.7` },
        });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Another client behind the same proxy is counted apart.
      const other = await c.get('/api/v1/me', {
        headers: { 'x-forwarded-for': '10.9.0.1, 203.0.113.8' },
      });
      expect(other.status).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it('records the proxied client address in the audit log, and ignores the header by default', async () => {
    const proxied = await startTestApp({ env: { TRUST_PROXY: '1' } });
    try {
      const t = await buildTenant(proxied);
      const res = await t.owner.client.post(
        '/api/v1/sites',
        { name: 'Proxied', domain: 'proxied.example' },
        { headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.4' } },
      );
      expect(res.status, res.text).toBe(201);
      const direct = await t.owner.client.post(
        '/api/v1/sites',
        { name: 'Direct', domain: 'direct.example' },
        { headers: { 'x-forwarded-for': '6.6.6.6' } },
      );
      expect(direct.status, direct.text).toBe(201);
      const log = await t.owner.client.get('/api/v1/audit-logs?action=site.created');
      const ipOf = (id: string) =>
        log.body.data.find((e: { target: { id: string } }) => e.target.id === id)?.ip;
      expect(ipOf(res.body.id)).toBe('198.51.100.4');
      expect(ipOf(direct.body.id)).toBe('6.6.6.6');
    } finally {
      await proxied.close();
    }
    // TRUST_PROXY unset (the shared app): X-Forwarded-For is not read at all.
    const t = await buildTenant(app);
    const res = await t.owner.client.post(
      '/api/v1/sites',
      { name: 'Spoofed', domain: 'spoofed.example' },
      { headers: { 'x-forwarded-for': '6.6.6.6' } },
    );
    const log = await t.owner.client.get('/api/v1/audit-logs?action=site.created');
    const event = log.body.data.find(
      (e: { target: { id: string } }) => e.target.id === res.body.id,
    );
    expect(event.ip).not.toBe('6.6.6.6');
    expect(event.ip).toMatch(/127\.0\.0\.1|::1/);
  });
});

describe('per-principal budget', () => {
  it('keeps one API key from spending the whole workspace budget', async () => {
    // Keys are made on the unlimited app; the limited one shares its database.
    const t = await buildTenant(app);
    const keys = await Promise.all(Array.from({ length: 3 }, () => createApiKey(t, 'client')));
    const limited = await startTestApp({ env: { RATE_LIMIT_RPM: '4', TRUST_PROXY: '1' } });
    try {
      const c = limited.client();
      let ip = 0;
      const read = (apiKey: string) =>
        c.get('/api/v1/tenant', { apiKey, headers: { 'x-forwarded-for': `10.7.0.${++ip}` } });
      // A principal gets half the workspace's RATE_LIMIT_RPM: 2 here.
      const greedy = [];
      for (let i = 0; i < 3; i++) greedy.push(await read(keys[0]!));
      expect(greedy.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(Number(greedy[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(greedy[2]!.headers.get('content-type')).toMatch(/problem\+json/);
      expect(greedy[2]!.body.detail).toMatch(/You sent too many requests/);
      // Another key of the workspace still has its own budget.
      expect((await read(keys[1]!)).status).toBe(200);
      expect((await read(keys[1]!)).status).toBe(200);
      // The workspace's budget, RATE_LIMIT_RPM (4), is spent: every key is refused now.
      const late = await read(keys[2]!);
      expect(late.status).toBe(429);
      expect(late.body.detail).toMatch(/This workspace sent too many requests/);
    } finally {
      await limited.close();
    }
  });
});

describe('rate limits while Redis is down', () => {
  it('fall back to in-process counters at once instead of failing or waiting', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await closedPort()}`, {
      ...REDIS_FAIL_FAST,
      retryStrategy: () => 1000,
    });
    redis.on('error', () => undefined);
    const fallbacks: unknown[] = [];
    const limiter = createFallbackRateLimiter(createRedisRateLimiter(redis), undefined, (e) =>
      fallbacks.push(e),
    );
    try {
      const started = performance.now();
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await limiter.hit('ip:down', 2, 60));
      expect(performance.now() - started).toBeLessThan(1000);
      expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
      expect(results[2]!.retryAfter).toBeGreaterThan(0);
      expect(fallbacks.length).toBe(3);
      await limiter.reset('ip:down');
      expect((await limiter.hit('ip:down', 2, 60)).allowed).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});
