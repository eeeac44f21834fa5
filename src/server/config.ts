import path from 'node:path';
import { z } from 'zod';
import { decodeEncryptionKey } from './infra/encryption-key.ts';

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine(
      (v) => {
        if (v === undefined) return true;
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL (${protocols.join(' or ')})` },
    );

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/**
 * A number from the environment: an empty (or blank) value is unset, so the default applies,
 * never 0 (`RATE_LIMIT_RPM=` must not turn limiting off).
 */
const envNumber = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

/**
 * TRUST_PROXY: how many reverse-proxy hops stand in front of the app. `true` is 1, `false` 0; the
 * client IP is the address that many hops from the right of X-Forwarded-For (0: the header is
 * ignored). Trusting "all" would take the left-most address, which the client writes itself.
 */
const trustProxy = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const t = v.trim().toLowerCase();
    return t === '' ? undefined : t === 'true' ? '1' : t === 'false' ? '0' : t;
  },
  z
    .string()
    .regex(/^\d{1,2}$/, 'must be the number of proxy hops (0-99), true (1) or false (0)')
    .default('0')
    .transform(Number),
);

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: envNumber(z.coerce.number().int().min(0).max(65535).default(3000)),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  DATA_DIR: z.string().default('./.data'),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  /** Prefix of every Redis key and queue, so deployments (or test runs) can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/, 'must be 1-64 of letters, digits, _ : . -')
    .default('roi'),
  MONGODB_URL: optionalUrl(['mongodb:', 'mongodb+srv:']),
  /** `on`/`off`: the local Stripe sandbox (development aid); default on unless NODE_ENV=production. */
  SANDBOXES: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.enum(['on', 'off']).optional()),
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_BASE: optionalUrl(['http:', 'https:']),
  STRIPE_PRICE_STARTER: optionalString,
  STRIPE_PRICE_PRO: optionalString,
  STRIPE_PRICE_AGENCY: optionalString,
  /** Days a past_due subscription keeps its paid plan before the free plan's limits apply. */
  BILLING_GRACE_DAYS: envNumber(z.coerce.number().min(0).max(90).default(14)),
  /** Tries of a Stripe event job before it is dead-lettered (listed and replayable). */
  BILLING_JOB_ATTEMPTS: envNumber(z.coerce.number().int().min(1).max(50).default(8)),
  /** First retry delay of a failed Stripe event job in ms; doubles on each retry. */
  BILLING_RETRY_BACKOFF_MS: envNumber(z.coerce.number().int().min(1).max(3_600_000).default(1000)),
  /** An inbox row still unprocessed after this many ms is enqueued again by the sweeper. */
  BILLING_SWEEP_AFTER_MS: envNumber(
    z.coerce.number().int().min(100).max(86_400_000).default(15_000),
  ),
  /**
   * Stripe objects (subscriptions, invoices) applied at once by one worker process; the worker
   * that ROLE=all starts beside its API applies 2 unless this is set (worker-process.ts).
   */
  BILLING_WORKER_CONCURRENCY: envNumber(z.coerce.number().int().min(1).max(64).default(8)),
  /**
   * CPU priority (nice, 0–19) of a process started in the `worker` role: where workers share
   * cores with API processes, a burst of background work yields to requests.
   */
  WORKER_NICE: envNumber(z.coerce.number().int().min(0).max(19).default(10)),
  BASE_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9.-]+$/, 'must be a host name such as example.com')
    .default('localhost'),
  APP_URL: optionalUrl(['http:', 'https:']),
  RATE_LIMIT_RPM: envNumber(z.coerce.number().int().min(0).default(600)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SESSION_TTL_HOURS: envNumber(
    z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24 * 14),
  ),
  TRUST_PROXY: trustProxy,
  /** The OAuth client of a Google Cloud project; unset: the local Google sandbox (when on). */
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  /** Origin every Google endpoint is requested at, with Google's own paths (tests, proxies). */
  GOOGLE_API_BASE: optionalUrl(['http:', 'https:']),
  /** Outgoing mail server, e.g. smtp://user:pass@host:587 (smtps: for TLS from the start). */
  SMTP_URL: optionalUrl(['smtp:', 'smtps:']),
  /** The From of every message: `Name <address>` or an address; default `ROI Spectrum <no-reply@BASE_DOMAIN>`. */
  MAIL_FROM: optionalString.refine((v) => v === undefined || parseMailbox(v) !== null, {
    message: 'must be an address (no-reply@example.com) or Name <no-reply@example.com>',
  }),
  /** How often the worker looks for queued mail and due report schedules, in ms. */
  MAIL_POLL_MS: envNumber(z.coerce.number().int().min(50).max(600_000).default(5_000)),
  /** How long a worker holds a message (or a report delivery) it is sending before another may take over. */
  MAIL_LEASE_MS: envNumber(z.coerce.number().int().min(500).max(3_600_000).default(300_000)),
  /** 32 bytes, base64: encrypts stored secrets: OAuth tokens, share-link tokens (AES-256-GCM); else generated into DATA_DIR. */
  ENCRYPTION_KEY: optionalString.refine((v) => v === undefined || decodeEncryptionKey(v) !== null, {
    message: 'must be 32 bytes, base64 (e.g. `openssl rand -base64 32`)',
  }),
  /**
   * How long a worker holds a site's sync lease before another may take it over (a killed
   * worker's sync resumes after this). Renewed with every chunk of days written.
   */
  GOOGLE_SYNC_LEASE_MS: envNumber(z.coerce.number().int().min(500).max(3_600_000).default(60_000)),
  /** How often the worker looks for linked sites due for their daily sync and for stalled syncs. */
  GOOGLE_SYNC_SWEEP_MS: envNumber(z.coerce.number().int().min(200).max(86_400_000).default(60_000)),
});

const MAILBOX_ADDRESS = /^[^\s@<>(),;:"]+@[a-z0-9.-]+$/i;

/** `Name <address>` or a bare address as {name, address}; null when it is neither. */
export function parseMailbox(value: string): { name: string | null; address: string } | null {
  const trimmed = value.trim();
  const angled = /^(.*?)\s*<([^<>]+)>$/.exec(trimmed);
  const name = angled ? angled[1]!.trim().replace(/^"(.*)"$/, '$1') || null : null;
  const address = angled ? angled[2]!.trim() : trimmed;
  if (!MAILBOX_ADDRESS.test(address) || /[\r\n]/.test(trimmed)) return null;
  return { name, address };
}

export type Config = z.infer<typeof ConfigSchema> & {
  appUrl: string;
  dataDir: string;
  /** Whether the local sandboxes (Stripe) are served: SANDBOXES, else on unless production. */
  sandboxes: boolean;
  /** Real Stripe (keys set), the local sandbox, or no billing at all (sandboxes off, no keys). */
  stripeMode: 'stripe' | 'sandbox' | 'off';
  /** Real Google (client set), the local Google sandbox, or no Google connections at all. */
  googleMode: 'google' | 'sandbox' | 'off';
  /** MAIL_FROM parsed: the address, and the display name used when a workspace has no branding name. */
  mailFrom: { name: string; address: string };
};

/** Thrown when an environment variable does not validate; the message names every bad one. */
export class ConfigError extends Error {}

/** Parses and validates the process environment once; throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (Boolean(c.STRIPE_SECRET_KEY) !== Boolean(c.STRIPE_WEBHOOK_SECRET)) {
    throw new ConfigError(
      'Invalid configuration:\n  STRIPE_WEBHOOK_SECRET: STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set together',
    );
  }
  const sandboxes = c.SANDBOXES ? c.SANDBOXES === 'on' : c.NODE_ENV !== 'production';
  if (c.NODE_ENV === 'production' && !sandboxes && !c.STRIPE_SECRET_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: required with NODE_ENV=production ' +
        '(the Stripe sandbox is off there unless SANDBOXES=on)',
    );
  }
  if (Boolean(c.GOOGLE_CLIENT_ID) !== Boolean(c.GOOGLE_CLIENT_SECRET)) {
    throw new ConfigError(
      'Invalid configuration:\n  GOOGLE_CLIENT_SECRET: GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET must be set together',
    );
  }
  if (c.NODE_ENV === 'production' && c.DATABASE_URL && !c.ENCRYPTION_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  ENCRYPTION_KEY: required with DATABASE_URL in production ' +
        '(processes on other machines must share the key that encrypts stored secrets)',
    );
  }
  return {
    ...c,
    sandboxes,
    googleMode: c.GOOGLE_CLIENT_ID ? 'google' : sandboxes ? 'sandbox' : 'off',
    appUrl: (c.APP_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, ''),
    dataDir: path.resolve(c.DATA_DIR),
    stripeMode: c.STRIPE_SECRET_KEY ? 'stripe' : sandboxes ? 'sandbox' : 'off',
    mailFrom: mailFromOf(c.MAIL_FROM, c.BASE_DOMAIN),
  };
}

/** MAIL_FROM, or `ROI Spectrum <no-reply@BASE_DOMAIN>`. */
function mailFromOf(value: string | undefined, baseDomain: string) {
  const parsed = value ? parseMailbox(value) : null;
  return {
    name: parsed?.name ?? 'ROI Spectrum',
    address: parsed?.address ?? `no-reply@${baseDomain}`,
  };
}
