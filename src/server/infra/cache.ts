import type { Redis } from 'ioredis';

/**
 * A small cache with namespaces that can be dropped at once (a tenant's reports, say).
 * With Redis every process shares the entries and an invalidation is seen by all at once;
 * without it, an in-process map serves.
 */
export interface Cache {
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  set(namespace: string, key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Drops every key of the namespace, in every process. */
  invalidate(namespace: string): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  value: unknown;
  expiresAt: number;
}

/** In-process cache for a single process (no REDIS_URL), least recently set evicted first. */
export function createMemoryCache(maxEntries = 50_000): Cache {
  const namespaces = new Map<string, Map<string, Entry>>();
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
    async set(ns, key, value, ttlSeconds) {
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
      entries.set(key, { value: structuredClone(value), expiresAt: Date.now() + ttlSeconds * 1000 });
    },
    async invalidate(ns) {
      size -= namespaces.get(ns)?.size ?? 0;
      namespaces.delete(ns);
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
export function createRedisCache(redis: Redis): Cache {
  const hashKey = (ns: string) => `cache:${ns}`;
  return {
    async get<T>(ns: string, key: string) {
      const raw = await redis.hget(hashKey(ns), key);
      if (raw === null) return undefined;
      const entry = JSON.parse(raw) as Entry;
      return entry.expiresAt < Date.now() ? undefined : (entry.value as T);
    },
    async set(ns, key, value, ttlSeconds) {
      const entry: Entry = { value, expiresAt: Date.now() + ttlSeconds * 1000 };
      await redis
        .multi()
        .hset(hashKey(ns), key, JSON.stringify(entry))
        .expire(hashKey(ns), ttlSeconds, 'GT')
        .expire(hashKey(ns), ttlSeconds, 'NX')
        .exec();
    },
    async invalidate(ns) {
      await redis.del(hashKey(ns));
    },
    async close() {},
  };
}
