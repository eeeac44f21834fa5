import type { Redis } from 'ioredis';
import { assertOutsideTransaction } from '../data/scoped-transaction.ts';

export interface RateLimitResult {
  allowed: boolean;
  remaining: number;
  /** Seconds until the window resets. */
  retryAfter: number;
}

/** Fixed-window counters: `limit` hits per `windowSeconds` for each key. */
export interface RateLimiter {
  hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult>;
  /** Clears a key (a successful sign-in clears the account's failure count). */
  reset(key: string): Promise<void>;
  /**
   * The key's count in its current window, without counting a hit (a lockout that counts only
   * failures checks it before each attempt); `retryAfter` is 0 when no window is open.
   */
  peek(key: string): Promise<{ count: number; retryAfter: number }>;
}

export function createMemoryRateLimiter(): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  let lastSweep = Date.now();
  return {
    async hit(key, limit, windowSeconds) {
      const now = Date.now();
      if (now - lastSweep > 60_000) {
        for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
        lastSweep = now;
      }
      let w = windows.get(key);
      if (!w || w.resetAt <= now) {
        w = { count: 0, resetAt: now + windowSeconds * 1000 };
        windows.set(key, w);
      }
      w.count += 1;
      return {
        allowed: w.count <= limit,
        remaining: Math.max(0, limit - w.count),
        retryAfter: Math.max(1, Math.ceil((w.resetAt - now) / 1000)),
      };
    },
    async reset(key) {
      windows.delete(key);
    },
    async peek(key) {
      const now = Date.now();
      const w = windows.get(key);
      if (!w || w.resetAt <= now) return { count: 0, retryAfter: 0 };
      return { count: w.count, retryAfter: Math.max(1, Math.ceil((w.resetAt - now) / 1000)) };
    },
  };
}

export function createRedisRateLimiter(redis: Redis): RateLimiter {
  return {
    async hit(key, limit, windowSeconds) {
      assertOutsideTransaction('a Redis rate-limit count');
      const k = `rl:${key}`;
      const results = await redis.multi().incr(k).expire(k, windowSeconds, 'NX').pttl(k).exec();
      const count = Number(results?.[0]?.[1] ?? 0);
      const ttl = Number(results?.[2]?.[1] ?? windowSeconds * 1000);
      return {
        allowed: count <= limit,
        remaining: Math.max(0, limit - count),
        retryAfter: Math.max(1, Math.ceil((ttl > 0 ? ttl : windowSeconds * 1000) / 1000)),
      };
    },
    async reset(key) {
      await redis.del(`rl:${key}`);
    },
    async peek(key) {
      assertOutsideTransaction('a Redis rate-limit count');
      const k = `rl:${key}`;
      const results = await redis.multi().get(k).pttl(k).exec();
      const count = Number(results?.[0]?.[1] ?? 0);
      const ttl = Number(results?.[1]?.[1] ?? -2);
      if (!count || ttl <= 0) return { count: 0, retryAfter: 0 };
      return { count, retryAfter: Math.max(1, Math.ceil(ttl / 1000)) };
    },
  };
}

/**
 * Redis counters, with in-process counters while Redis does not answer: a Redis outage neither
 * fails requests nor turns limiting off. The in-process windows count only this process's
 * requests, so during an outage each process allows up to the limit on its own.
 */
export function createFallbackRateLimiter(
  primary: RateLimiter,
  fallback: RateLimiter = createMemoryRateLimiter(),
  onFallback: (error: unknown) => void = () => undefined,
): RateLimiter {
  return {
    async hit(key, limit, windowSeconds) {
      try {
        return await primary.hit(key, limit, windowSeconds);
      } catch (error) {
        onFallback(error);
        return fallback.hit(key, limit, windowSeconds);
      }
    },
    async reset(key) {
      await fallback.reset(key);
      await primary.reset(key).catch(onFallback);
    },
    async peek(key) {
      try {
        return await primary.peek(key);
      } catch (error) {
        onFallback(error);
        return fallback.peek(key);
      }
    },
  };
}
