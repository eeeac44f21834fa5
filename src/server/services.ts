import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './data/database.ts';
import { migrate } from './data/migrate.ts';
import { identityCacheNamespace } from './data/identity-changes.ts';
import { IDENTITY_COPY_MS } from './domain/accounts/request-identity.ts';
import { createHmac, randomBytes } from 'node:crypto';
import type { GoogleDeps } from './domain/google/connections.ts';
import { GOOGLE_SANDBOX_CLIENT_ID, GOOGLE_SANDBOX_PATH } from './sandbox/mount-path.ts';
import { createAuditBackend, type AuditBackend } from './domain/audit/audit-backend.ts';
import { createStripeInbox, type StripeInbox } from './domain/billing/receive-stripe-webhook.ts';
import type { BillingSettings } from './domain/billing/billing-deps.ts';
import { createBillingSettings, type StripeConnection } from './domain/billing/stripe-client.ts';
import { createMemoryCache, createRedisCache, type Cache } from './infra/cache.ts';
import { createBullmqQueue } from './infra/queue/bullmq-queue.ts';
import { loadEncryptionKey } from './infra/encryption-key.ts';
import type { JobQueue } from './infra/queue/job-queue.ts';
import { createMemoryQueue } from './infra/queue/memory-queue.ts';
import {
  createFallbackRateLimiter,
  createMemoryRateLimiter,
  createRedisRateLimiter,
  type RateLimiter,
} from './infra/rate-limiter.ts';
import type { Logger } from './logger.ts';
import { SANDBOX_MOUNT_PATH } from './sandbox/mount-path.ts';
import {
  generateSandboxSecrets,
  loadSandboxSecrets,
  type SandboxSecrets,
} from './sandbox/sandbox-secrets.ts';

/**
 * Redis is a cache and a queue, never the system of record: while it is down a command fails at
 * once (no offline queue, one retry, bounded connect and command time) so a request falls back to
 * PostgreSQL instead of waiting for Redis to return.
 */
export const REDIS_FAIL_FAST = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
} as const;

/** Everything a request or a job needs, built once per process and passed explicitly. */
export interface AppServices {
  config: Config;
  logger: Logger;
  database: Database;
  cache: Cache;
  rateLimiter: RateLimiter;
  queue: JobQueue;
  /** Null without REDIS_URL. */
  redis: Redis | null;
  /** The audit log's read side: PostgreSQL, or MongoDB with MONGODB_URL. */
  audit: AuditBackend;
  /** Stripe (or the offline sandbox): client, webhook secret, price ids. */
  billing: BillingSettings;
  /** The generated secrets of the local Stripe sandbox this process serves; null when it serves none. */
  sandboxSecrets: SandboxSecrets | null;
  /** Stores verified webhook deliveries in batches (see createStripeInbox). */
  stripeInbox: StripeInbox;
  /** Google connections (real Google or the local sandbox); null when both are off. */
  google: GoogleDeps | null;
  /** AES-256-GCM key of stored secrets (share-link tokens, OAuth tokens): infra/encryption-key.ts. */
  encryptionKey: Buffer;
  close(): Promise<void>;
}

export interface CreateServicesOptions {
  /** Reuse an open database (tests share one embedded database per worker). */
  database?: Database;
}

/** Connects the stores named by the configuration (or their embedded defaults) and migrates. */
export async function createServices(
  config: Config,
  logger: Logger,
  options: CreateServicesOptions = {},
): Promise<AppServices> {
  const opened =
    options.database ??
    (await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir }));
  if (!options.database) {
    const ran = await migrate(opened);
    if (ran.length > 0) logger.info({ migrations: ran }, 'applied migrations');
  }

  let redis: Redis | null = null;
  let cache: Cache;
  let rateLimiter: RateLimiter;
  let queue: JobQueue;
  if (config.REDIS_URL) {
    const keyPrefix = `${config.REDIS_PREFIX}:`;
    redis = new Redis(config.REDIS_URL, { ...REDIS_FAIL_FAST, keyPrefix });
    redis.on('error', (err) => logger.warn({ err }, 'redis error'));
    cache = createRedisCache(redis);
    let warnedAt = -Infinity;
    rateLimiter = createFallbackRateLimiter(
      createRedisRateLimiter(redis),
      createMemoryRateLimiter(),
      (err) => {
        if (Date.now() - warnedAt < 10_000) return;
        warnedAt = Date.now();
        logger.warn({ err }, 'redis unavailable: rate limits counted in this process');
      },
    );
    // Redis is known to be down from the main connection's close until it is ready again. Its
    // status alone said less: between reconnection attempts it is `connecting` for a moment, and
    // an enqueue made then waited out its whole deadline (a webhook acknowledged after 3 s).
    let lost = false;
    redis.on('close', () => (lost = true));
    redis.on('ready', () => (lost = false));
    queue = createBullmqQueue(config.REDIS_URL, config.REDIS_PREFIX, { available: () => !lost });
  } else {
    cache = createMemoryCache();
    rateLimiter = createMemoryRateLimiter();
    queue = createMemoryQueue();
  }
  // A change to who may do what drops the callers cached on every process before it answers.
  const database: Database = {
    ...opened,
    async onIdentityChange(namespace) {
      // Not announced (this process cannot reach Redis): another process may still serve what it
      // kept of these callers, until its copy expires. The change answers after that.
      if (!(await cache.invalidate(identityCacheNamespace(namespace)))) {
        await new Promise((resolve) => setTimeout(resolve, IDENTITY_COPY_MS * 1.1));
      }
    },
  };

  const sandboxSecrets =
    config.stripeMode !== 'sandbox'
      ? null
      : config.NODE_ENV === 'test'
        ? generateSandboxSecrets()
        : loadSandboxSecrets(config.dataDir);
  const billing = createBillingSettings(config, stripeConnection(config, sandboxSecrets));
  const audit = createAuditBackend(config);
  const stripeInbox = createStripeInbox({ database, queue, config, logger });
  const encryptionKey = loadEncryptionKey(config);
  const google = googleDeps(config, encryptionKey);
  return {
    config,
    logger,
    database,
    cache,
    rateLimiter,
    queue,
    redis,
    audit,
    billing,
    sandboxSecrets,
    stripeInbox,
    google,
    encryptionKey,
    async close() {
      await stripeInbox.drain();
      await queue.close().catch((err) => logger.warn({ err }, 'queue close failed'));
      await cache.close().catch(() => undefined);
      redis?.disconnect();
      await audit.close().catch((err) => logger.warn({ err }, 'mongodb close failed'));
      if (!options.database) await opened.close();
    },
  };
}

/** Stripe keys from the environment, the sandbox's generated ones, or none (billing off). */
function stripeConnection(
  config: Config,
  sandboxSecrets: SandboxSecrets | null,
): StripeConnection | null {
  if (config.stripeMode === 'stripe') {
    return {
      secretKey: config.STRIPE_SECRET_KEY!,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET!,
      apiBase: () => config.STRIPE_API_BASE,
    };
  }
  if (sandboxSecrets) {
    return { ...sandboxSecrets, apiBase: () => `${config.appUrl}${SANDBOX_MOUNT_PATH}` };
  }
  return null;
}

/**
 * Real Google with GOOGLE_CLIENT_ID, else the sandbox this process serves at /sandbox/google
 * (its client secret generated beside the Stripe sandbox's), else none. GOOGLE_API_BASE points
 * either at another Google-compatible server.
 */
function googleDeps(config: Config, encryptionKey: Buffer): GoogleDeps | null {
  if (config.googleMode === 'off') return null;
  const redirectUri = () => `${config.appUrl}/api/v1/integrations/google/callback`;
  if (config.googleMode === 'google') {
    return {
      encryptionKey,
      settings: {
        clientId: config.GOOGLE_CLIENT_ID!,
        clientSecret: config.GOOGLE_CLIENT_SECRET!,
        apiBase: () => config.GOOGLE_API_BASE,
        redirectUri,
      },
    };
  }
  return {
    encryptionKey,
    settings: {
      clientId: GOOGLE_SANDBOX_CLIENT_ID,
      clientSecret: googleSandboxSecret(config),
      apiBase: () => config.GOOGLE_API_BASE ?? `${config.appUrl}${GOOGLE_SANDBOX_PATH}`,
      redirectUri,
    },
  };
}

const googleSandboxSecrets = new Map<string, string>();

/** The sandbox's OAuth client secret: generated once per data directory (or per test process). */
export function googleSandboxSecret(config: Config): string {
  const key = config.NODE_ENV === 'test' ? 'test' : config.dataDir;
  let secret = googleSandboxSecrets.get(key);
  if (!secret) {
    secret =
      config.NODE_ENV === 'test'
        ? randomBytes(24).toString('base64url')
        : // Derived from the sandbox secrets kept in DATA_DIR: one more random file is not needed.
          createHmac('sha256', loadSandboxSecrets(config.dataDir).secretKey)
            .update('google-sandbox-client-secret')
            .digest('base64url');
    googleSandboxSecrets.set(key, secret);
  }
  return secret;
}
