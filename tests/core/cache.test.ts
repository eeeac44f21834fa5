import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache, type Cache } from '../../src/server/infra/cache.ts';

const redisUrl = process.env.REDIS_URL;
const clients: Redis[] = [];
const caches: Cache[] = [];
afterAll(async () => {
  for (const cache of caches) await cache.close();
  clients.forEach((c) => c.disconnect());
});

const implementations: [string, () => Cache][] = [['memory', () => createMemoryCache()]];
if (redisUrl) {
  implementations.push([
    'redis',
    () => {
      const redis = new Redis(redisUrl, { keyPrefix: `cachetest-${Date.now()}-${Math.random()}:` });
      clients.push(redis);
      const cache = createRedisCache(redis);
      caches.push(cache);
      return cache;
    },
  ]);
}

describe.each(implementations)('%s cache', (_name, make) => {
  it('gets what was set, until the namespace is invalidated', async () => {
    const cache = make();
    await cache.set('ns', 'a', { n: 1 }, 60);
    await cache.set('other', 'a', { n: 2 }, 60);
    expect(await cache.get('ns', 'a')).toEqual({ n: 1 });
    await cache.invalidate('ns');
    expect(await cache.get('ns', 'a')).toBeUndefined();
    expect(await cache.get('other', 'a')).toEqual({ n: 2 });
  });

  it('expires entries', async () => {
    const cache = make();
    await cache.set('ns', 'short', 1, 1);
    expect(await cache.get('ns', 'short')).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cache.get('ns', 'short')).toBeUndefined();
  });

  it('does not store a value computed before an invalidation', async () => {
    const cache = make();
    const before = await cache.generation('ns');
    await cache.invalidate('ns'); // data changed while the value was being computed
    await cache.set('ns', 'stale', 'old data', 60, { ifGeneration: before });
    expect(await cache.get('ns', 'stale')).toBeUndefined();
    const now = await cache.generation('ns');
    expect(now).toBe(before + 1);
    await cache.set('ns', 'fresh', 'new data', 60, { ifGeneration: now });
    expect(await cache.get('ns', 'fresh')).toBe('new data');
  });
});

/**
 * Two processes' caches on one Redis: each keeps what it read in process (level 1), and an
 * invalidation anywhere is seen by the next read everywhere, announcement delivered or not.
 */
describe.runIf(redisUrl)('redis cache shared by two processes', () => {
  const prefix = `cachetest-shared-${Date.now()}-${Math.random()}:`;
  /** A process's cache and a raw connection to poke Redis behind its back. */
  const processCache = async () => {
    const redis = new Redis(redisUrl!, { keyPrefix: prefix });
    clients.push(redis);
    const cache = createRedisCache(redis);
    caches.push(cache);
    // Wait until its subscription is in sync (a local copy is kept only then).
    for (let i = 0; i < 100; i++) {
      await cache.set('probe', 'k', i, 60);
      await cache.get('probe', 'k');
      await redis.del('cache:probe');
      if ((await cache.get('probe', 'k')) === i) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    return { cache, redis };
  };

  it('serves its own copy until another process invalidates the namespace', async () => {
    const a = await processCache();
    const b = await processCache();
    await a.cache.set('tenant:x', 'info', { name: 'before' }, 60);
    expect(await b.cache.get('tenant:x', 'info')).toEqual({ name: 'before' });
    // Gone from Redis without an invalidation: b still answers from its own copy.
    await b.redis.del('cache:tenant:x');
    expect(await b.cache.get('tenant:x', 'info', { since: performance.now() })).toEqual({
      name: 'before',
    });
    await a.cache.set('tenant:x', 'info', { name: 'after' }, 60);
    await a.cache.invalidate('tenant:x');
    // The next read on b, right after the invalidation returned, misses.
    expect(await b.cache.get('tenant:x', 'info', { since: performance.now() })).toBeUndefined();
  });

  it('does not serve its copy when an invalidation is counted but its announcement is missing', async () => {
    const a = await processCache();
    await a.cache.set('report:y', 'k', 'cached', 60);
    expect(await a.cache.get('report:y', 'k')).toBe('cached');
    await a.redis.del('cache:report:y');
    expect(await a.cache.get('report:y', 'k')).toBe('cached'); // its own copy
    // Another process's invalidation whose message has not arrived (nor ever will): the epoch
    // read shows it, so the copy is not used.
    await a.redis.incr('cacheepoch');
    expect(await a.cache.get('report:y', 'k', { since: performance.now() })).toBeUndefined();
  });

  it('drops its copies when Redis is emptied and the epoch starts over', async () => {
    const a = await processCache();
    const b = await processCache();
    for (let i = 0; i < 3; i++) await a.cache.invalidate('other');
    await a.cache.set('tenant:w', 'info', 'before', 60);
    await b.cache.get('tenant:w', 'info');
    await b.redis.del('cache:tenant:w');
    expect(await b.cache.get('tenant:w', 'info', { since: performance.now() })).toBe('before');
    // FLUSHALL, as far as these keys go: the epoch and the generations start again from 0; then
    // an invalidation whose announcement has not arrived (it counts 1, below what b applied).
    await b.redis.del(
      'cacheepoch',
      'cacheepoch:incarnation',
      'cachegen:tenant:w',
      'cachegen:other',
    );
    await a.redis.incr('cacheepoch');
    expect(await b.cache.get('tenant:w', 'info', { since: performance.now() })).toBeUndefined();
  });
});
