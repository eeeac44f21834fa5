import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A process's lease on its level-1 cache copies, and the writers' side of the same agreement.
 *
 * A process holding a valid lease serves its copies without asking Redis anything: every
 * invalidation that has finished is already applied here. That holds because
 * - a lease is granted (by Redis, atomically) only to a process that has applied every
 *   announcement up to the current epoch; the process trusts it for 90 % of `leaseMs`, measured
 *   on its own steady clock from before it asked;
 * - a process acknowledges each epoch it applies for as long as it may be listed;
 * - a writer, after its invalidation, waits until every other listed process has acknowledged that
 *   epoch, or until `leaseMs` has passed on the writer's own steady clock since the invalidation's
 *   reply: any lease not acknowledged was asked for before the invalidation ran, so it has run out
 *   by then. Redis's clock (`TIME`, a wall clock that may step) only decides when a silent entry is
 *   swept from the list, `SWEEP_AFTER_LEASES` leases after it lapsed. A process that stalls or dies
 *   delays each write by at most one lease, until it is swept.
 *
 * Redis being emptied loses the list of leases: the epoch's incarnation records when it was made,
 * and for `leaseMs` after that (by Redis's clock) writers wait out any lease granted before.
 */
export interface CacheLease {
  /** This process's id among the lease holders. */
  readonly id: string;
  /** True while copies may be served without a Redis round trip. */
  valid(now: number): boolean;
  /** Asks for (or extends) the lease in the background, if it is not fresh. */
  renew(): void;
  /** Tells waiting writers which epoch is applied here (coalesced, only while listed). */
  acknowledge(): void;
  /** Gives the lease up at once (copies dropped, sync lost): writers stop waiting for us. */
  release(): void;
  /**
   * Resolves once every other lease holder has applied `epoch`, or its lease has run out:
   * `repliedAt` is when the invalidation's reply arrived (performance.now()).
   */
  awaitAcknowledgements(epoch: number, repliedAt: number): Promise<void>;
}

export interface CacheLeaseState {
  /** The applied epoch, or null while not in sync. */
  applied(): number | null;
  /** The epoch incarnation this process is in sync with. */
  incarnation(): string | null;
  /** Changes whenever the process loses sync: a lease asked for before then is not used. */
  syncGeneration(): number;
  /** Redis no longer holds our incarnation: synchronize again. */
  resync(): void;
}

export const cacheLeaseKeys = {
  leases: 'cacheleases',
  acks: 'cacheacks',
  epoch: 'cacheepoch',
  incarnation: 'cacheepoch:incarnation',
};

/** How many leases after it lapsed (by Redis's clock) a silent entry is swept from the list. */
const SWEEP_AFTER_LEASES = 10;

/**
 * Redis's clock in ms, and entries that lapsed more than ARGV[1] ms ago removed (with their
 * acknowledgements).
 */
const NOW_AND_SWEEP = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local swept = now - tonumber(ARGV[1])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', swept)) do
  redis.call('HDEL', KEYS[2], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', swept)`;

/**
 * KEYS: leases, acks, epoch, incarnation. ARGV: sweep ms, id, applied epoch, lease ms, incarnation.
 * -1: the incarnation changed, or the epoch went back (it was deleted): synchronize again;
 * 0: this process is behind the epoch (no lease); 1: granted.
 */
const RENEW = `
if redis.call('GET', KEYS[4]) ~= ARGV[5] then return -1 end
local epoch = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[3]) > epoch then return -1 end
if tonumber(ARGV[3]) < epoch then return 0 end
${NOW_AND_SWEEP}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1`;

/** KEYS: leases, acks. ARGV: id, applied epoch. Recorded only while the lease is listed. */
const ACKNOWLEDGE = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
return 0`;

/**
 * KEYS: leases, acks, incarnation. ARGV: sweep ms, epoch, own id, lease ms, a new incarnation id.
 * Returns {1 if some other listed process has not acknowledged the epoch yet, else 0; ms still to
 * wait out leases Redis no longer lists, because it was emptied lately}. Without an incarnation
 * (Redis emptied, and no process has synchronized since) it makes one, stamped now: the leases
 * granted before are waited out once, not by every write until some process synchronizes.
 */
const AWAIT = `
${NOW_AND_SWEEP}
local incarnation = redis.call('GET', KEYS[3])
if not incarnation then
  incarnation = ARGV[5] .. '@' .. now
  redis.call('SET', KEYS[3], incarnation)
end
local unlisted = tonumber(string.match(incarnation, '@(%d+)$') or '0') + tonumber(ARGV[4]) - now
local pending = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[3] and tonumber(redis.call('HGET', KEYS[2], id) or '-1') < tonumber(ARGV[2]) then
    pending = 1
    break
  end
end
return {pending, math.max(math.ceil(unlisted), 0)}`;

/**
 * KEYS: epoch, incarnation. ARGV: a new incarnation id. Makes the incarnation (stamped with
 * Redis's clock) if there is none, and returns the epoch with it.
 */
export const SYNC_EPOCH = `
local incarnation = redis.call('GET', KEYS[2])
if not incarnation then
  local t = redis.call('TIME')
  incarnation = ARGV[1] .. '@' .. (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  redis.call('SET', KEYS[2], incarnation)
end
return {redis.call('GET', KEYS[1]) or '0', incarnation}`;

/** Margin for the two clocks' rates: a process trusts 90 % of its lease. */
const TRUSTED_SHARE = 0.9;
/** A lease with less than this share left is renewed when used. */
const RENEW_BELOW = 0.65;

export function createCacheLease(
  redis: Redis,
  state: CacheLeaseState,
  leaseMs: number,
): CacheLease {
  const id = randomUUID();
  const { leases, acks, epoch: epochKey, incarnation: incarnationKey } = cacheLeaseKeys;
  const sweepMs = String(leaseMs * SWEEP_AFTER_LEASES);
  /** performance.now() until which copies may be served. */
  let until = -Infinity;
  /** performance.now() until which we may still be listed (acknowledgements are wanted). */
  let listedUntil = -Infinity;
  let renewing = false;
  let acknowledging = false;

  const acknowledge = () => {
    if (acknowledging || performance.now() >= listedUntil) return;
    acknowledging = true;
    setImmediate(() => {
      acknowledging = false;
      const applied = state.applied();
      if (applied === null) return;
      redis.eval(ACKNOWLEDGE, 2, leases, acks, id, String(applied)).catch(() => undefined);
    });
  };

  const release = () => {
    until = -Infinity;
    if (performance.now() >= listedUntil) return;
    listedUntil = -Infinity;
    redis
      .multi()
      .zrem(leases, id)
      .hdel(acks, id)
      .exec()
      .catch(() => undefined);
  };

  return {
    id,
    valid: (now) => now < until,
    acknowledge,
    renew() {
      const applied = state.applied();
      const incarnation = state.incarnation();
      if (renewing || applied === null || incarnation === null) return;
      const sentAt = performance.now();
      if (until - sentAt > leaseMs * TRUSTED_SHARE * RENEW_BELOW) return;
      const generation = state.syncGeneration();
      renewing = true;
      (
        redis.eval(
          RENEW,
          4,
          leases,
          acks,
          epochKey,
          incarnationKey,
          sweepMs,
          id,
          String(applied),
          String(leaseMs),
          incarnation,
        ) as Promise<number>
      ).then(
        (granted) => {
          renewing = false;
          if (granted === 1) {
            listedUntil = performance.now() + leaseMs * (1 + SWEEP_AFTER_LEASES);
            // Sync was lost while we asked: what the lease vouched for is gone.
            if (state.syncGeneration() !== generation) return release();
            until = sentAt + leaseMs * TRUSTED_SHARE;
            // Announcements applied while we asked were not acknowledged (we were not listed yet).
            if (state.applied() !== applied) acknowledge();
          } else if (granted === -1) {
            state.resync();
          }
          // 0: behind; the announcements on their way let a later renewal through.
        },
        () => {
          renewing = false;
        },
      );
    },
    release,
    async awaitAcknowledgements(epoch, repliedAt) {
      // A lease not acknowledged was asked for before the invalidation ran: its holder stops
      // trusting it before our clock reaches this.
      const deadline = repliedAt + leaseMs;
      let pause = 1;
      for (;;) {
        const [pending, unlistedMs] = (await redis.eval(
          AWAIT,
          3,
          leases,
          acks,
          incarnationKey,
          sweepMs,
          String(epoch),
          id,
          String(leaseMs),
          randomUUID(),
        )) as [number, number];
        const left = deadline - performance.now();
        if (pending === 0 || left <= 0) {
          // Leases Redis lost with its data (emptied lately) are waited out too.
          if (unlistedMs > 0) await sleep(unlistedMs);
          return;
        }
        await sleep(Math.min(pause, left));
        pause = Math.min(pause * 2, 16);
      }
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
