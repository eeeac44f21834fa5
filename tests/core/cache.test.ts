import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryCache, createRedisCache, type Cache } from '../../src/server/infra/cache.ts';
import { eventually } from '../support/factories.ts';

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

  it('keeps what it stores apart from what was passed in (in process: shared, frozen)', async () => {
    const cache = make();
    const value = { json: '{"n":1}', nested: { n: 1 } };
    await cache.set('ns', 'shared', value, 60);
    value.nested.n = 2; // the caller's object is not the stored one
    const first = await cache.get<typeof value>('ns', 'shared');
    expect(first).toEqual({ json: '{"n":1}', nested: { n: 1 } });
    if (_name === 'memory') {
      // One copy for every reader (a cached report's encoded bytes are kept beside it).
      expect(Object.isFrozen(first) && Object.isFrozen(first!.nested)).toBe(true);
      expect(await cache.get('ns', 'shared')).toBe(first);
    }
  });

  it('expires entries', async () => {
    const cache = make();
    await cache.set('ns', 'short', 1, 1);
    expect(await cache.get('ns', 'short')).toBe(1);
    // Gone once its second has passed (polled: no fixed wait), and not before a whole second.
    const setAt = performance.now();
    await eventually(async () => (await cache.get('ns', 'short')) === undefined, 5_000);
    expect(performance.now() - setAt).toBeGreaterThanOrEqual(900);
  });

  it('keeps process-local copies only when it can keep them fresh on every process', () => {
    expect(make().local === null).toBe(_name === 'memory');
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Lists a lease in Redis as another process would hold it (for `ms` more by Redis's clock). */
async function listLease(redis: Redis, id: string, ms: number, applied: number) {
  const [seconds, micros] = await redis.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  await redis.zadd('cacheleases', now + ms, id);
  await redis.hset('cacheacks', id, String(applied));
}

const unlist = (redis: Redis, id: string) =>
  redis.multi().zrem('cacheleases', id).hdel('cacheacks', id).exec();

/**
 * Two processes' caches on one Redis: each keeps what it read or stored in process (level 1),
 * and an invalidation anywhere is seen by the next read everywhere. Some tests play a process or a
 * writer by hand, on the Redis keys the protocol uses (see cache-lease.ts).
 */
describe.runIf(redisUrl)('redis cache shared by two processes', () => {
  const LEASE_MS = 300;
  const prefix = `cachetest-shared-${Date.now()}-${Math.random()}:`;
  /** A process's cache and a raw connection to poke Redis behind its back. */
  const processCache = async (leaseMs = LEASE_MS) => {
    const redis = new Redis(redisUrl!, { keyPrefix: prefix });
    clients.push(redis);
    const cache = createRedisCache(redis, { leaseMs });
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

  it('keeps a local copy, never in Redis, until any process invalidates its namespace', async () => {
    const a = await processCache();
    const b = await processCache();
    const local = a.cache.local!;
    local.keep('identity:t:1', 'k', { role: 'admin' }, 60, local.mark());
    expect(await local.get('identity:t:1', 'k', performance.now())).toEqual({ role: 'admin' });
    expect(await b.cache.local!.get('identity:t:1', 'k', performance.now())).toBeUndefined();
    expect(await a.redis.exists('cache:identity:t:1')).toBe(0);
    await b.cache.invalidate('identity:t:1');
    expect(await local.get('identity:t:1', 'k', performance.now())).toBeUndefined();
  });

  it('does not keep a value read before an invalidation of its namespace, by any process', async () => {
    const a = await processCache();
    const b = await processCache();
    const local = a.cache.local!;
    const before = local.mark();
    await b.cache.invalidate('identity:u:2'); // the row changed while a was reading it
    await eventually(async () => {
      local.keep('identity:u:2', 'probe', 1, 60, local.mark());
      return (await local.get('identity:u:2', 'probe', performance.now())) === 1;
    });
    local.keep('identity:u:2', 'k', 'stale', 60, before);
    expect(await local.get('identity:u:2', 'k', performance.now())).toBeUndefined();
    // Another namespace's invalidation does not stand in the way.
    local.keep('identity:u:3', 'k', 'fresh', 60, before);
    expect(await local.get('identity:u:3', 'k', performance.now())).toBe('fresh');

    // Nor while the process's own invalidation of it is under way, nor after it.
    const during = local.mark();
    const invalidation = a.cache.invalidate('identity:u:4');
    local.keep('identity:u:4', 'k', 'stale', 60, during);
    expect(await local.get('identity:u:4', 'k', performance.now())).toBeUndefined();
    await invalidation;
    local.keep('identity:u:4', 'k', 'stale', 60, during);
    expect(await local.get('identity:u:4', 'k', performance.now())).toBeUndefined();
    local.keep('identity:u:4', 'k', 'fresh', 60, local.mark());
    expect(await local.get('identity:u:4', 'k', performance.now())).toBe('fresh');
  });

  it('serves a value it stored from its own copy', async () => {
    const a = await processCache();
    const generation = await a.cache.generation('report:s');
    await a.cache.set('report:s', 'k', { n: 1 }, 60, { ifGeneration: generation });
    await a.redis.del('cache:report:s');
    expect(await a.cache.get('report:s', 'k', { since: performance.now() })).toEqual({ n: 1 });
  });

  it('answers from its copy without Redis while its lease holds, and stops when it runs out', async () => {
    const a = await processCache();
    await a.cache.set('report:y', 'k', 'cached', 60);
    expect(await a.cache.get('report:y', 'k')).toBe('cached');
    expect(await a.cache.get('report:y', 'k')).toBe('cached'); // a copy, and a lease
    await a.redis.del('cache:report:y');
    // An invalidation by a writer that does not wait for acknowledgements, whose announcement
    // never arrives: the lease still vouches for the copy (no epoch read) ...
    await a.redis.incr('cacheepoch');
    expect(await a.cache.get('report:y', 'k', { since: performance.now() })).toBe('cached');
    // ... until it runs out: reading on asks for renewals, which Redis refuses to a process behind
    // the epoch; the epoch read then shows the missing announcement.
    const reads: unknown[] = [];
    for (const until = performance.now() + 2 * LEASE_MS; performance.now() < until;) {
      reads.push(await a.cache.get('report:y', 'k', { since: performance.now() }));
      await sleep(20);
    }
    // Once missed, never served again.
    const firstMiss = reads.indexOf(undefined);
    expect(firstMiss).toBeGreaterThan(-1);
    expect(reads.slice(firstMiss).every((r) => r === undefined)).toBe(true);
  });

  it('a write waits for the other leaseholders to acknowledge it, not for their leases', async () => {
    const long = 1_500;
    const a = await processCache(long);
    const b = await processCache(long);
    await sleep(long); // past the wait that follows the epoch's first sync
    await a.cache.set('report:w', 'k', 'v', 60);
    for (let i = 0; i < 2; i++) await b.cache.get('report:w', 'k'); // b holds a lease
    const t0 = performance.now();
    await a.cache.invalidate('report:w');
    expect(performance.now() - t0).toBeLessThan(long / 2);
    expect(await b.cache.get('report:w', 'k')).toBeUndefined();
  });

  it('an invalidation returns once every other leaseholder has acknowledged it', async () => {
    const a = await processCache();
    const epoch = Number(await a.redis.get('cacheepoch'));
    await listLease(a.redis, 'other-process', 5_000, epoch);
    let done = false;
    const invalidated = a.cache.invalidate('report:z').then(() => (done = true));
    await sleep(LEASE_MS / 3);
    expect(done).toBe(false);
    await a.redis.hset('cacheacks', 'other-process', String(epoch + 1));
    await invalidated;
    await unlist(a.redis, 'other-process'); // it would hold up the other tests
  });

  it('a silent leaseholder delays each invalidation by one lease at most, until it is swept', async () => {
    const a = await processCache();
    await sleep(LEASE_MS); // past the wait that follows the epoch's first sync
    const epoch = Number(await a.redis.get('cacheepoch'));
    // Its entry says 60 s (as if Redis's clock had stepped back): the writer's own clock decides.
    await listLease(a.redis, 'stalled-process', 60_000, epoch);
    const t0 = performance.now();
    await a.cache.invalidate('report:v');
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(LEASE_MS * 0.9);
    expect(waited).toBeLessThan(LEASE_MS + 1_000);
    // Lapsed ten leases ago by Redis's clock: swept, and the next invalidation does not wait.
    await listLease(a.redis, 'stalled-process', -11 * LEASE_MS, epoch);
    const t1 = performance.now();
    await a.cache.invalidate('report:v');
    expect(performance.now() - t1).toBeLessThan(LEASE_MS * 0.8);
    expect(await a.redis.hget('cacheacks', 'stalled-process')).toBeNull();
  });

  it('stops using its copies when the epoch is deleted and starts over', async () => {
    const a = await processCache();
    const b = await processCache();
    await a.cache.invalidate('warm'); // an epoch above 0
    await b.cache.set('tenant:q', 'info', 'before', 60);
    expect(await b.cache.get('tenant:q', 'info')).toBe('before');
    await b.redis.del('cache:tenant:q', 'cacheepoch');
    const reads: unknown[] = [];
    for (const until = performance.now() + 2 * LEASE_MS; performance.now() < until;) {
      reads.push(await b.cache.get('tenant:q', 'info', { since: performance.now() }));
      await sleep(20);
    }
    expect(reads.at(-1)).toBeUndefined();
  });

  it('after Redis is emptied, writers wait out leases it no longer lists', async () => {
    const a = await processCache();
    const b = await processCache();
    await a.cache.set('tenant:w', 'info', 'before', 60);
    await b.cache.get('tenant:w', 'info');
    expect(await b.cache.get('tenant:w', 'info')).toBe('before');
    await b.redis.del('cache:tenant:w');
    // FLUSHALL, as far as these keys go: the epoch, its incarnation, the leases, the generations.
    await b.redis.del(
      'cacheepoch',
      'cacheepoch:incarnation',
      'cacheleases',
      'cacheacks',
      'cachegen:tenant:w',
    );
    const t0 = performance.now();
    await a.cache.invalidate('other');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(LEASE_MS * 0.9);
    expect(await b.cache.get('tenant:w', 'info', { since: performance.now() })).toBeUndefined();
    // Waited out once: the next write, a lease later, does not wait again (each one did while no
    // process had synchronized since, with every write of a process that never could).
    const t1 = performance.now();
    await a.cache.invalidate('other');
    expect(performance.now() - t1).toBeLessThan(LEASE_MS / 2);
  });

  it('synchronizes once its main connection is ready, when the first epoch read failed', async () => {
    // The subscriber connects first and its sync's epoch read goes to a main connection that is
    // not connected yet (no offline queue, as services.ts makes it): that read fails.
    const redis = new Redis(redisUrl!, {
      keyPrefix: prefix,
      lazyConnect: true,
      enableOfflineQueue: false,
    });
    clients.push(redis);
    const cache = createRedisCache(redis, { leaseMs: LEASE_MS });
    caches.push(cache);
    // The failed read started the main connection (lazyConnect): wait until it is ready.
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    const local = cache.local!;
    await eventually(async () => {
      local.keep('identity:t:9', 'k', 'kept', 60, local.mark());
      return (await local.get('identity:t:9', 'k', performance.now())) === 'kept';
    }, 3_000);
    const t0 = performance.now();
    await cache.invalidate('identity:t:9');
    expect(performance.now() - t0).toBeLessThan(LEASE_MS / 2);
  });

  it('stops using its copies once its epoch incarnation is gone from Redis', async () => {
    const b = await processCache();
    await b.cache.set('tenant:u', 'info', 'before', 60);
    await b.cache.get('tenant:u', 'info');
    await b.redis.del('cache:tenant:u');
    expect(await b.cache.get('tenant:u', 'info')).toBe('before');
    // Emptied and synced again by another process; no invalidation reaches b.
    await b.redis.del('cacheepoch', 'cacheepoch:incarnation');
    await b.redis.set('cacheepoch:incarnation', 'another@0');
    await sleep(LEASE_MS);
    expect(await b.cache.get('tenant:u', 'info', { since: performance.now() })).toBeUndefined();
  });
});
