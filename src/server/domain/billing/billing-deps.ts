import type Stripe from 'stripe';
import type { Config } from '../../config.ts';
import type { Database } from '../../data/database.ts';
import type { Cache } from '../../infra/cache.ts';
import type { JobQueue } from '../../infra/queue/job-queue.ts';
import type { Logger } from '../../logger.ts';
import type { PaidPlanId } from './plans.ts';

/** Billing settings of this process: which Stripe, which secrets, which prices. */
export interface BillingSettings {
  /** Real Stripe, the local sandbox, or off (sandboxes off and no Stripe keys). */
  mode: 'stripe' | 'sandbox' | 'off';
  /** Null when billing is off. */
  webhookSecret: string | null;
  /** Stripe price id of each paid plan. */
  prices: Record<PaidPlanId, string>;
  graceDays: number;
  /** The Stripe client, built on first use; throws a 503 AppError when billing is off. */
  stripe(): Stripe;
}

/**
 * What the billing domain needs from the process, and nothing more: services.ts satisfies it, so
 * domain/billing never imports the container (or the sandbox).
 */
export interface BillingDeps {
  config: Pick<
    Config,
    | 'BILLING_JOB_ATTEMPTS'
    | 'BILLING_RETRY_BACKOFF_MS'
    | 'BILLING_SWEEP_AFTER_MS'
    | 'BILLING_WORKER_CONCURRENCY'
    | 'appUrl'
  >;
  database: Database;
  cache: Cache;
  queue: JobQueue;
  logger: Logger;
  billing: BillingSettings;
}
