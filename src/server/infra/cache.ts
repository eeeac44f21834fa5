import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { cacheLeaseKeys, createCacheLease, SYNC_EPOCH } from './cache-lease.ts';
import { assertOutsideTransaction } from '../data/scoped-transaction.ts';

/**
 * A small cache with namespaces that can be dropped at once (a tenant's reports, say).
 * With Redis every process shares the entries and an invalidation is seen by all at once;
 * without it, an in-process map serves.
 */
export interface Cache {
  /**
   * The value, or undefined; read-only, as it may be one copy shared with every reader (frozen
   * then). `since` (a `performance.now()` reading, usually when the request began) lets a
   * process-local copy answer when Redis, read after that moment, shows that every invalidation
   * up to then has reached this process; without it the check is made now.
   */
  get<T>(namespace: string, key: string, options?: { since?: number }): Promise<T | undefined>;
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
  /**
   * Drops every key of the namespace, in every process, and moves it to the next generation.
   * False when Redis did not take it: then other processes that still reach Redis may serve
   * their copies until those expire (it is announced again once Redis answers this process).
   */
  invalidate(namespace: string): Promise<boolean>;
  /** The namespace's generation: read it before computing a value that `set` will store. */
  generation(namespace: string): Promise<number>;
  /**
   * Copies kept in this process only, invalidated with the namespaces above on every process;
   * null when the cache cannot keep them as fresh as its shared values (the in-process cache
   * knows nothing of other processes on the same database).
   */
  readonly local: LocalCopies | null;
  close(): Promise<void>;
}

/** Values only this process keeps (the caller of a request, say), served as fresh as Cache#get. */
export interface LocalCopies {
  /** Take it before reading what `keep` will store. */
  mark(): LocalMark;
  /**
   * Keeps a value here unless its namespace was invalidated, or this process lost sync with the
   * announcements, since `mark`: a value read before a change is never kept after the change's
   * invalidation has been applied here.
   */
  keep(namespace: string, key: string, value: unknown, ttlSeconds: number, mark: LocalMark): void;
  /** A kept value, under the same rule as Cache#get's copies (`since`: the request's start). */
  get<T>(namespace: string, key: string, since: number): Promise<T | undefined>;
}

/** Where the announcements stood when a value's read began (opaque to callers). */
export interface LocalMark {
  readonly applied: number | null;
  readonly syncGeneration: number;
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
      // Stored frozen (see set): shared by every reader, as the Redis cache's local copies are.
      return hit.value as T;
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
        value: typeof value === 'object' ? deepFreeze(structuredClone(value)) : value,
        expiresAt: Date.now() + ttlSeconds * 1000,
      });
    },
    async invalidate(ns) {
      size -= namespaces.get(ns)?.size ?? 0;
      namespaces.delete(ns);
      generations.set(ns, (generations.get(ns) ?? 0) + 1);
      return true;
    },
    async generation(ns) {
      return generations.get(ns) ?? 0;
    },
    local: null,
    async close() {
      namespaces.clear();
      size = 0;
    },
  };
}

/**
 * HSET + EXPIRE only while the namespace's generation is still ARGV[1]; returns the epoch it was
 * stored at (false if it was not stored).
 */
const SET_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return false end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return redis.call('GET', KEYS[3]) or '0'`;

/**
 * Drops the namespace, bumps its generation and the global epoch, and announces `epoch namespace`
 * to every process, all in one atomic step: epochs and announcements are in the same order.
 */
const INVALIDATE = `
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
local epoch = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[1], epoch .. ' ' .. ARGV[2])
return epoch`;

/** A value and the epoch at which it was read, together. */
const GET_WITH_EPOCH = `return {redis.call('HGET', KEYS[1], ARGV[1]), redis.call('GET', KEYS[2])}`;

/** Namespaces whose latest announcement is remembered for LocalCopies#keep (see lastDrops). */
const MAX_DROPS_KEPT = 10_000;
/** What a LocalCopies entry is counted as against `localBytes` (a caller's identity, say). */
const LOCAL_ENTRY_SIZE = 1024;

/** How soon a sync whose epoch read failed is tried again. */
const RESYNC_RETRY_MS = 200;

/** How long a read waits for announcements already counted by the epoch to arrive. */
const ANNOUNCEMENT_WAIT_MS = 50;

interface LocalEntry {
  value: unknown;
  expiresAt: number;
  /** Length of its JSON text: what it costs to keep (set on local copies). */
  size?: number;
}

export interface RedisCacheOptions {
  /** Most JSON characters kept in this process (whole namespaces are evicted, oldest first). */
  localBytes?: number;
  /** How long a lease lets this process serve its copies without asking Redis (see cache-lease). */
  leaseMs?: number;
}

/** Long enough that a busy process renews a few times a second; a write waits at most this long. */
const DEFAULT_LEASE_MS = 500;

/**
 * Redis cache: one hash per namespace, so a read is one HGET and an invalidation is one DEL that
 * every process sees at once. Each value carries its own expiry; the hash expires when its
 * newest entry would.
 *
 * In front of it, each process keeps the values it read or stored (level 1), kept exactly as
 * fresh as Redis: a change whose invalidation finished before a read began is never missed.
 * - Every invalidation also increments a global epoch and publishes `epoch namespace`, atomically;
 *   a subscriber drops the namespace here and records the highest epoch applied (in order; a gap,
 *   a reconnect or a lost subscription empties the level 1 instead).
 * - While the process holds a lease (cache-lease.ts), a local value is served as it is: writers
 *   wait for leaseholders to apply their invalidations before they answer.
 * - Without a valid lease, a local value is served only after a read of the epoch issued after
 *   `since` (the request's start; concurrent requests share that read) shows that every
 *   invalidation it counts has been applied here. Otherwise the value comes from Redis.
 * - A value read from (or stored in) Redis comes with the epoch of that step and is kept only if
 *   no announcement past that epoch has been applied yet (any later one for its namespace will
 *   drop it).
 *
 * Redis down is a miss, never an error: reads answer undefined (callers read PostgreSQL), stores
 * are skipped, and the lost subscription empties the local copies (nothing can prove them fresh).
 * An invalidation Redis did not take is remembered, waited out for one lease (so no other
 * process still trusts a copy it dropped) and replayed when Redis answers again; until then
 * this process serves nothing from the cache.
 */
export function createRedisCache(redis: Redis, options: RedisCacheOptions = {}): Cache {
  const hashKey = (ns: string) => `cache:${ns}`;
  const genKey = (ns: string) => `cachegen:${ns}`;
  const { epoch: epochKey, incarnation: incarnationKey } = cacheLeaseKeys;
  // Channels are not keys: the key prefix is not applied to them, so it is added here.
  const channel = `${redis.options.keyPrefix ?? ''}cache-invalidations`;
  const maxLocal = options.localBytes ?? 64 * 2 ** 20;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;

  const local = new Map<string, Map<string, LocalEntry>>();
  /** Sum of the local copies' sizes. */
  let localSize = 0;
  /** Highest epoch whose announcement (and every earlier one) is applied here; null: not in sync. */
  let applied: number | null = null;
  /** Announcements that arrive while the subscription is being (re)synchronized. */
  let buffered: [number, string][] | null = null;
  /** The incarnation of the epoch this process is in sync with. */
  let incarnation: string | null = null;
  /** Bumped whenever sync is lost. */
  let syncGeneration = 0;
  const catchUp: { epoch: number; resolve: (ok: boolean) => void }[] = [];
  /** Namespaces whose invalidation Redis did not take: replayed once it answers again. */
  const unannounced = new Set<string>();
  let replaying: Promise<void> | null = null;
  /**
   * For LocalCopies#keep: the epoch of each namespace's latest applied announcement (bounded: when
   * it is emptied, `dropFloor` stands in for every namespace), and the namespaces this process is
   * invalidating itself, whose announcement it has not applied yet.
   */
  const lastDrops = new Map<string, number>();
  let dropFloor = 0;
  const ownInvalidations = new Map<string, number>();
  const forgetDrops = (floor: number) => {
    lastDrops.clear();
    dropFloor = floor;
  };
  const lease = createCacheLease(
    redis,
    {
      applied: () => applied,
      incarnation: () => incarnation,
      syncGeneration: () => syncGeneration,
      resync: () => resync(),
    },
    leaseMs,
  );

  const clearLocal = () => {
    local.clear();
    localSize = 0;
  };
  const dropNamespace = (ns: string) => {
    for (const entry of local.get(ns)?.values() ?? []) localSize -= entry.size!;
    local.delete(ns);
  };
  const settleCatchUp = (all: boolean) => {
    for (let i = catchUp.length - 1; i >= 0; i--) {
      const waiter = catchUp[i]!;
      const ok = applied !== null && applied >= waiter.epoch;
      if (ok || all) {
        catchUp.splice(i, 1);
        waiter.resolve(ok);
      }
    }
  };
  const apply = (epoch: number, ns: string) => {
    if (applied === null) return;
    if (epoch === applied + 1) {
      dropNamespace(ns);
      if (lastDrops.size >= MAX_DROPS_KEPT) forgetDrops(epoch);
      lastDrops.set(ns, epoch);
    } else {
      // Announcements were lost, or the epoch started over (Redis was emptied): trust nothing local.
      clearLocal();
      forgetDrops(epoch);
    }
    applied = epoch;
    settleCatchUp(false);
    lease.acknowledge();
  };
  const outOfSync = () => {
    syncGeneration += 1;
    lease.release();
    applied = null;
    buffered = null;
    clearLocal();
    settleCatchUp(true);
  };

  const subscriber = redis.duplicate({
    autoResubscribe: false,
    enableOfflineQueue: false,
    lazyConnect: false,
  });
  subscriber.on('error', () => undefined); // the main connection reports Redis errors
  subscriber.on('message', (_channel: string, message: string) => {
    const space = message.indexOf(' ');
    const epoch = Number(message.slice(0, space));
    const ns = message.slice(space + 1);
    if (buffered) buffered.push([epoch, ns]);
    else apply(epoch, ns);
  });
  /**
   * Subscribed first, then the epoch read: every announcement past that epoch reaches us. The
   * epoch's incarnation (made once, by whoever syncs first) tells a later reader whether Redis was
   * emptied since, which would start the epoch over.
   */
  const resync = () => {
    outOfSync();
    const pending: [number, string][] = (buffered = []);
    subscriber
      .subscribe(channel)
      .then(
        () =>
          redis.eval(SYNC_EPOCH, 2, epochKey, incarnationKey, randomUUID()) as Promise<
            [string, string]
          >,
      )
      .then(([rawEpoch, rawIncarnation]) => {
        if (buffered !== pending) return; // disconnected meanwhile
        buffered = null;
        clearLocal();
        const synced = Number(rawEpoch ?? 0);
        incarnation = rawIncarnation;
        applied = synced;
        forgetDrops(synced);
        // Those the epoch read already counted are covered by emptying the copies.
        for (const [epoch, ns] of pending) if (epoch > synced) apply(epoch, ns);
        settleCatchUp(false);
        lease.acknowledge();
      })
      .catch(() => {
        if (buffered !== pending) return;
        outOfSync();
        // The epoch read failed (the main connection was not ready yet, say) while the
        // subscription stands: nothing else would start a sync again, and the process would stay
        // out of sync for good. Try again shortly; the main connection's return retries too.
        setTimeout(resyncIfIdle, RESYNC_RETRY_MS).unref();
      });
  };
  /** Starts a sync when none is in effect or under way and the subscriber can take one. */
  const resyncIfIdle = () => {
    if (applied === null && buffered === null && subscriber.status === 'ready') resync();
  };
  subscriber.on('close', outOfSync);
  subscriber.on('ready', resync);
  redis.on('ready', resyncIfIdle);

  // The newest epoch read and when it was sent; reads asked for in one turn of the event loop
  // share one GET.
  let lastRead = { sentAt: -Infinity, epoch: 0 };
  let waiting: { resolve: (epoch: number) => void; reject: (error: unknown) => void }[] | null =
    null;
  const flushEpochRead = () => {
    const waiters = waiting!;
    waiting = null;
    const sentAt = performance.now();
    redis.mget(epochKey, incarnationKey).then(
      ([raw, readIncarnation]) => {
        // Redis was emptied (or the sync is under way): copies stay unused until a new sync. (An
        // epoch below `applied` is no sign: an announcement may overtake this reply.)
        if (applied !== null && readIncarnation !== incarnation) resync();
        const epoch = Number(raw ?? 0);
        if (sentAt > lastRead.sentAt) lastRead = { sentAt, epoch };
        for (const w of waiters) w.resolve(epoch);
      },
      (error: unknown) => {
        for (const w of waiters) w.reject(error);
      },
    );
  };
  /** The epoch as read by a GET sent after `since`. */
  const epochSince = (since: number): Promise<number> | number => {
    if (lastRead.sentAt >= since) return lastRead.epoch;
    if (!waiting) {
      waiting = [];
      setImmediate(flushEpochRead);
    }
    return new Promise((resolve, reject) => waiting!.push({ resolve, reject }));
  };
  /** True once every announcement up to `epoch` is applied here (false if that takes too long). */
  const caughtUp = (epoch: number): Promise<boolean> | boolean => {
    if (applied === null) return false;
    if (applied >= epoch) return true;
    return new Promise((resolve) => {
      const waiter = { epoch, resolve };
      catchUp.push(waiter);
      setTimeout(() => {
        const i = catchUp.indexOf(waiter);
        if (i >= 0) {
          catchUp.splice(i, 1);
          resolve(applied !== null && applied >= epoch);
        }
      }, ANNOUNCEMENT_WAIT_MS).unref();
    });
  };

  const announce = async (ns: string) =>
    (await redis.eval(INVALIDATE, 3, hashKey(ns), genKey(ns), epochKey, channel, ns)) as number;
  /** Replays the invalidations Redis missed (in the background; one replay at a time). */
  const replayUnannounced = () => {
    replaying ??= (async () => {
      for (const ns of [...unannounced]) {
        await announce(ns);
        unannounced.delete(ns);
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        replaying = null;
      });
  };
  redis.on('ready', replayUnannounced);

  const keepLocal = (ns: string, key: string, entry: LocalEntry, size: number) => {
    if (size > maxLocal / 64) return; // a huge report would push out everything else
    while (localSize + size > maxLocal && local.size > 0) dropNamespace(local.keys().next().value!);
    let entries = local.get(ns);
    if (!entries) local.set(ns, (entries = new Map()));
    localSize += size - (entries.get(key)?.size ?? 0);
    entries.set(key, { value: deepFreeze(entry.value), expiresAt: entry.expiresAt, size });
  };

  return {
    async get<T>(ns: string, key: string, options?: { since?: number }) {
      assertOutsideTransaction('a Redis cache read');
      if (unannounced.size > 0) {
        replayUnannounced();
        return undefined;
      }
      try {
        return await read<T>(ns, key, options?.since);
      } catch {
        return undefined; // Redis down: a miss
      }
    },
    async set(ns, key, value, ttlSeconds, options) {
      if (unannounced.size > 0) return;
      await store(ns, key, value, ttlSeconds, options?.ifGeneration).catch(() => undefined);
    },
    async invalidate(ns) {
      ownInvalidations.set(ns, (ownInvalidations.get(ns) ?? 0) + 1);
      try {
        return await invalidate(ns);
      } finally {
        const left = ownInvalidations.get(ns)! - 1;
        if (left === 0) ownInvalidations.delete(ns);
        else ownInvalidations.set(ns, left);
      }
    },
    async generation(ns) {
      assertOutsideTransaction('a Redis cache read');
      // Unknown while Redis is down: -1 matches no generation, so nothing computed now is stored.
      return Number((await redis.get(genKey(ns)).catch(() => '-1')) ?? 0);
    },
    local: {
      mark: () => ({ applied, syncGeneration }),
      keep(ns, key, value, ttlSeconds, mark) {
        if (
          applied === null ||
          mark.applied === null ||
          mark.syncGeneration !== syncGeneration ||
          mark.applied < dropFloor ||
          (lastDrops.get(ns) ?? -1) > mark.applied ||
          ownInvalidations.has(ns) ||
          unannounced.size > 0
        )
          return;
        const entry = { value, expiresAt: Date.now() + ttlSeconds * 1000 };
        keepLocal(ns, key, entry, LOCAL_ENTRY_SIZE);
        lease.renew();
      },
      async get<T>(ns: string, key: string, since: number) {
        if (unannounced.size > 0) return undefined;
        try {
          return await readLocal<T>(ns, key, since);
        } catch {
          return undefined; // Redis down: a miss
        }
      },
    },
    async close() {
      outOfSync();
      subscriber.disconnect();
    },
  };

  async function invalidate(ns: string): Promise<boolean> {
    dropNamespace(ns);
    let epoch: number;
    try {
      epoch = await announce(ns);
    } catch {
      // Whether or not the script ran, announce it again once Redis answers; meanwhile wait out
      // one lease, after which no process serves a copy without Redis vouching for it, if Redis
      // is down for every process. One that still reaches it does not know: hence false.
      unannounced.add(ns);
      dropNamespace(ns);
      await sleep(leaseMs);
      return false;
    }
    const repliedAt = performance.now();
    // Copies kept while the script ran may hold what it just dropped; later ones cannot.
    dropNamespace(ns);
    await Promise.all([
      lease.awaitAcknowledgements(epoch, repliedAt).catch(async () => {
        const left = repliedAt + leaseMs - performance.now();
        if (left > 0) await sleep(left);
      }),
      // This process applies its own announcement too (until then, keep refuses the namespace);
      // one that does not arrive means the subscription is lost: start over.
      Promise.resolve(caughtUp(epoch)).then((ok) => {
        if (!ok && applied !== null) resync();
      }),
    ]);
    return true;
  }

  /** A local copy, if one may be served (see the rules above); undefined otherwise. */
  async function readLocal<T>(ns: string, key: string, since: number | undefined) {
    const hit = local.get(ns)?.get(key);
    if (!hit || applied === null) return undefined;
    if (hit.expiresAt < Date.now()) {
      local.get(ns)!.delete(key);
      localSize -= hit.size!;
      return undefined;
    }
    if (lease.valid(performance.now())) {
      lease.renew();
      return hit.value as T;
    }
    lease.renew();
    const epoch = await epochSince(since ?? performance.now());
    // Still there (no announcement dropped it meanwhile) and nothing counted is missing.
    if ((await caughtUp(epoch)) && local.get(ns)?.get(key) === hit) return hit.value as T;
    return undefined;
  }

  async function read<T>(ns: string, key: string, since: number | undefined) {
    const copy = await readLocal<T>(ns, key, since);
    if (copy !== undefined) return copy;
    const [raw, epochRaw] = (await redis.eval(GET_WITH_EPOCH, 2, hashKey(ns), epochKey, key)) as [
      string | null,
      string | null,
    ];
    if (raw === null) return undefined;
    const entry = JSON.parse(raw) as LocalEntry;
    if (entry.expiresAt < Date.now()) return undefined;
    if (applied !== null && applied <= Number(epochRaw ?? 0)) {
      keepLocal(ns, key, entry, raw.length);
      lease.renew();
    }
    return entry.value as T;
  }

  async function store(
    ns: string,
    key: string,
    value: unknown,
    ttlSeconds: number,
    ifGeneration: number | undefined,
  ) {
    const entry: LocalEntry = { value, expiresAt: Date.now() + ttlSeconds * 1000 };
    if (ifGeneration !== undefined) {
      const json = JSON.stringify(entry);
      const storedAt = (await redis.eval(
        SET_IF_GENERATION,
        3,
        hashKey(ns),
        genKey(ns),
        epochKey,
        String(ifGeneration),
        key,
        json,
        String(ttlSeconds),
      )) as string | null;
      // Kept here too (as a reader would get it from Redis): the process that computed a value
      // is the likeliest to read it next.
      if (storedAt !== null && applied !== null && applied <= Number(storedAt)) {
        keepLocal(ns, key, JSON.parse(json) as LocalEntry, json.length);
        lease.renew();
      }
      return;
    }
    await redis
      .multi()
      .hset(hashKey(ns), key, JSON.stringify(entry))
      .expire(hashKey(ns), ttlSeconds, 'GT')
      .expire(hashKey(ns), ttlSeconds, 'NX')
      .exec();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Level-1 values are shared by every request that reads them: freeze them against mutation. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
