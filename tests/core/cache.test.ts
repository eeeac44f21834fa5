import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache, type Cache } from '../../src/server/infra/cache.ts';

const redisUrl = process.env.REDIS_URL;
const clients: Redis[] = [];
afterAll(() => clients.forEach((c) => c.disconnect()));

const implementations: [string, () => Cache][] = [['memory', () => createMemoryCache()]];
if (redisUrl) {
  implementations.push([
    'redis',
    () => {
      const redis = new Redis(redisUrl, { keyPrefix: `cachetest-${Date.now()}-${Math.random()}:` });
      clients.push(redis);
      return createRedisCache(redis);
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
