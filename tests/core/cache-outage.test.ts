import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisCache, type Cache } from '../../src/server/infra/cache.ts';
import { REDIS_FAIL_FAST } from '../../src/server/services.ts';
import { eventually } from '../support/factories.ts';

/**
 * The cache with Redis down: a miss, never an error and never a process-local copy nobody can
 * vouch for; an invalidation Redis missed is replayed when it returns. Runs on a redis-server of
 * its own (killed and restarted with its data, as a persisted Redis would come back).
 */
const REDIS_SERVER = '/usr/bin/redis-server';
const LEASE_MS = 300;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-cache-outage-'));
let server: ChildProcess | null = null;
const clients: Redis[] = [];
const caches: Cache[] = [];
afterAll(async () => {
  for (const cache of caches) await cache.close();
  clients.forEach((c) => c.disconnect());
  await stopRedis();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every write is on disk before it is acknowledged, so a SIGKILL loses nothing. */
function startRedis(port: number) {
  server = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
    { stdio: 'ignore' },
  );
}

async function stopRedis() {
  const s = server;
  server = null;
  if (!s || s.exitCode !== null || s.signalCode !== null) return;
  const exited = new Promise((r) => s.once('exit', r));
  s.kill('SIGKILL');
  await exited;
}

describe.skipIf(!fs.existsSync(REDIS_SERVER))(
  `the Redis cache while Redis is down${fs.existsSync(REDIS_SERVER) ? '' : ' (skipped: no redis-server)'}`,
  () => {
    it('misses instead of failing or serving copies, and replays missed invalidations', async () => {
      const port = await freePort();
      startRedis(port);
      const connect = () => {
        const redis = new Redis(`redis://127.0.0.1:${port}`, {
          ...REDIS_FAIL_FAST,
          retryStrategy: () => 100,
        });
        redis.on('error', () => undefined);
        clients.push(redis);
        return redis;
      };
      const raw = connect();
      await eventually(async () => (await raw.ping().catch(() => null)) === 'PONG', 10_000);
      const processCache = () => {
        const cache = createRedisCache(connect(), { leaseMs: LEASE_MS });
        caches.push(cache);
        return cache;
      };
      const writer = processCache();
      const reader = processCache();
      // The reader keeps a copy once its subscription is in sync: it still answers after the
      // entry is deleted from Redis behind its back.
      await eventually(async () => {
        await writer.set('tenant:x', 'info', { name: 'before' }, 60);
        await reader.get('tenant:x', 'info');
        await raw.del('cache:tenant:x');
        return (await reader.get('tenant:x', 'info', { since: performance.now() })) !== undefined;
      }, 10_000);
      await writer.set('tenant:x', 'info', { name: 'before' }, 60);

      await stopRedis();

      // Reads miss at once: the copy is not served once nothing can vouch for it.
      await eventually(async () => (await reader.get('tenant:x', 'info')) === undefined, 2_000);
      const started = performance.now();
      expect(await reader.get('tenant:x', 'info')).toBeUndefined();
      expect(await writer.get('tenant:x', 'info')).toBeUndefined();
      // Writes neither fail nor hang: the invalidation waits out one lease, no more.
      await writer.invalidate('tenant:x');
      await writer.set('tenant:x', 'info', { name: 'during' }, 60, { ifGeneration: 0 });
      expect(await writer.generation('tenant:x')).toBe(-1);
      expect(performance.now() - started).toBeLessThan(LEASE_MS + 1_000);

      // Redis returns with its data, the stale entry included: the missed invalidation is
      // replayed, so nobody reads the value from before the change.
      startRedis(port);
      await eventually(async () => (await raw.ping().catch(() => null)) === 'PONG', 10_000);
      await eventually(async () => {
        await writer.get('tenant:x', 'info'); // a read also prompts the replay
        return (await raw.exists('cache:tenant:x')) === 0;
      }, 10_000);
      expect(await raw.get('cachegen:tenant:x')).toBe('1');
      expect(await reader.get('tenant:x', 'info')).toBeUndefined();
      // And the cache works again.
      await writer.set('tenant:x', 'info', { name: 'after' }, 60);
      await eventually(async () => (await reader.get('tenant:x', 'info')) !== undefined, 5_000);
      expect(await reader.get('tenant:x', 'info')).toEqual({ name: 'after' });
    }, 60_000);
  },
);
