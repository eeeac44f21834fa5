import type { Redis } from 'ioredis';

/**
 * A small cache with namespaces that can be dropped at once (a tenant's reports, say).
 * With Redis every process shares the entries and an invalidation is seen by all at once;
 * without it, an in-process map serves.
 */
export interface Cache {
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  /**
   * Stores a value. With `ifGeneration`, only while the namespace is still at that generation:
   * a value computed from data that changed meanwhile is not stored.
   */
  set(
    namespace: string,
    key: string,
    value: unknown,
    ttlSeconds: number,
    options?: { ifGeneration?: number },
  ): Promise<void>;
  /** Drops every key of the namespace, in every process, and moves it to the next generation. */
  invalidate(namespace: string): Promise<void>;
  /** The namespace's generation: read it before computing a value that `set` will store. */
  generation(namespace: string): Promise<number>;
  close(): Promise<void>;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

/** In-process cache for a single process (no REDIS_URL), least recently set evicted first. */
export function createMemoryCache(maxEntries = 50_000): Cache {
  const namespaces = new Map<string, Map<string, Entry>>();
  const generations = new Map<string, number>();
  let size = 0;
  return {
    async get<T>(ns: string, key: string) {
      const hit = namespaces.get(ns)?.get(key);
      if (!hit) return undefined;
      if (hit.expiresAt < Date.now()) {
        namespaces.get(ns)!.delete(key);
        size -= 1;
        return undefined;
      }
      return structuredClone(hit.value) as T;
    },
    async set(ns, key, value, ttlSeconds, options) {
      if (
        options?.ifGeneration !== undefined &&
        options.ifGeneration !== (generations.get(ns) ?? 0)
      )
        return;
      if (size >= maxEntries) {
        const [oldestNs, entries] = namespaces.entries().next().value ?? [];
        if (oldestNs !== undefined && entries) {
          size -= entries.size;
          namespaces.delete(oldestNs);
        }
      }
      let entries = namespaces.get(ns);
      if (!entries) namespaces.set(ns, (entries = new Map()));
      if (!entries.has(key)) size += 1;
      entries.set(key, {
        value: structuredClone(value),
        expiresAt: Date.now() + ttlSeconds * 1000,
      });
    },
    async invalidate(ns) {
      size -= namespaces.get(ns)?.size ?? 0;
      namespaces.delete(ns);
      generations.set(ns, (generations.get(ns) ?? 0) + 1);
    },
    async generation(ns) {
      return generations.get(ns) ?? 0;
    },
    async close() {
      namespaces.clear();
      size = 0;
    },
  };
}

/**
 * Redis cache: one hash per namespace, so a read is one HGET and an invalidation is one DEL that
 * every process sees at once. Each value carries its own expiry; the hash expires when its
 * newest entry would.
 */
/** HSET + EXPIRE only while the namespace's generation is still ARGV[1]. */
const SET_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1`;

export function createRedisCache(redis: Redis): Cache {
  const hashKey = (ns: string) => `cache:${ns}`;
  const genKey = (ns: string) => `cachegen:${ns}`;
  return {
    async get<T>(ns: string, key: string) {
      const raw = await redis.hget(hashKey(ns), key);
      if (raw === null) return undefined;
      const entry = JSON.parse(raw) as Entry;
      return entry.expiresAt < Date.now() ? undefined : (entry.value as T);
    },
    async set(ns, key, value, ttlSeconds, options) {
      const entry: Entry = { value, expiresAt: Date.now() + ttlSeconds * 1000 };
      if (options?.ifGeneration !== undefined) {
        await redis.eval(
          SET_IF_GENERATION,
          2,
          hashKey(ns),
          genKey(ns),
          String(options.ifGeneration),
          key,
          JSON.stringify(entry),
          String(ttlSeconds),
        );
        return;
      }
      await redis
        .multi()
        .hset(hashKey(ns), key, JSON.stringify(entry))
        .expire(hashKey(ns), ttlSeconds, 'GT')
        .expire(hashKey(ns), ttlSeconds, 'NX')
        .exec();
    },
    async invalidate(ns) {
      await redis.multi().del(hashKey(ns)).incr(genKey(ns)).exec();
    },
    async generation(ns) {
      return Number((await redis.get(genKey(ns))) ?? 0);
    },
    async close() {},
  };
}
