import type { Redis } from 'ioredis';

/**
 * A small cache with namespaces that can be dropped at once (a tenant's reports, say).
 * With Redis the values and generations live in Redis, so every process sees the same data and an
 * invalidation in one process is seen by all; without it, an in-process map serves.
 */
export interface Cache {
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  set(namespace: string, key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Drops every key of the namespace, in every process. */
  invalidate(namespace: string): Promise<void>;
  close(): Promise<void>;
}

/** In-process cache for a single process (no REDIS_URL). */
export function createMemoryCache(maxEntries = 10_000): Cache {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  const generations = new Map<string, number>();
  const fullKey = (ns: string, key: string) => `${ns}\u0000${generations.get(ns) ?? 0}\u0000${key}`;
  return {
    async get<T>(ns: string, key: string) {
      const k = fullKey(ns, key);
      const hit = entries.get(k);
      if (!hit) return undefined;
      if (hit.expiresAt < Date.now()) {
        entries.delete(k);
        return undefined;
      }
      return structuredClone(hit.value) as T;
    },
    async set(ns, key, value, ttlSeconds) {
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(fullKey(ns, key), {
        value: structuredClone(value),
        expiresAt: Date.now() + ttlSeconds * 1000,
      });
    },
    async invalidate(ns) {
      const prefix = `${ns}\u0000`;
      for (const k of entries.keys()) if (k.startsWith(prefix)) entries.delete(k);
      generations.set(ns, (generations.get(ns) ?? 0) + 1);
    },
    async close() {
      entries.clear();
    },
  };
}

/**
 * Redis cache. Each namespace has a generation counter in Redis; keys embed it, so invalidation is
 * one INCR (old keys expire by TTL). Generations are remembered in-process and forgotten when
 * another process publishes an invalidation.
 */
export async function createRedisCache(
  redis: Redis,
  subscriber: Redis,
  channel: string,
): Promise<Cache> {
  const CHANNEL = channel;
  const generations = new Map<string, string>();
  await subscriber.subscribe(CHANNEL);
  subscriber.on('message', (channel, ns) => {
    if (channel === CHANNEL) generations.delete(ns);
  });
  async function generation(ns: string): Promise<string> {
    let gen = generations.get(ns);
    if (gen === undefined) {
      gen = (await redis.get(`cachegen:${ns}`)) ?? '0';
      generations.set(ns, gen);
    }
    return gen;
  }
  return {
    async get<T>(ns: string, key: string) {
      const raw = await redis.get(`cache:${ns}:${await generation(ns)}:${key}`);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    },
    async set(ns, key, value, ttlSeconds) {
      await redis.set(
        `cache:${ns}:${await generation(ns)}:${key}`,
        JSON.stringify(value),
        'EX',
        ttlSeconds,
      );
    },
    async invalidate(ns) {
      const gen = await redis.incr(`cachegen:${ns}`);
      generations.set(ns, String(gen));
      await redis.publish(CHANNEL, ns);
    },
    async close() {
      await subscriber.unsubscribe(CHANNEL).catch(() => undefined);
    },
  };
}
