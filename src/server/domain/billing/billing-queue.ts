import type { AppServices } from '../../services.ts';

/** The queue Stripe work goes through. Jobs are prompts; the inbox table holds the truth. */
export const BILLING_QUEUE = 'stripe-events';

export type BillingJob =
  /** Process an inbox row (and every pending row about the same object). */
  | { kind: 'event'; eventId: string }
  /** Re-read a subscription from Stripe and apply it (periodic re-sync). */
  | { kind: 'resync'; tenantId: string; subscriptionId: string };

/** Enqueues processing of a stored event; the event id dedupes it while it waits or runs. */
export async function enqueueStripeEvent(
  services: AppServices,
  eventId: string,
  jobId = eventId,
): Promise<void> {
  await services.queue.enqueue(
    BILLING_QUEUE,
    'event',
    { kind: 'event', eventId } satisfies BillingJob,
    {
      jobId,
      attempts: services.config.BILLING_JOB_ATTEMPTS,
      backoffMs: services.config.BILLING_RETRY_BACKOFF_MS,
    },
  );
}

/** Enqueues a re-sync of one subscription (deduped per subscription and `slot`). */
export async function enqueueResync(
  services: AppServices,
  tenantId: string,
  subscriptionId: string,
  slot: string,
): Promise<void> {
  await services.queue.enqueue(
    BILLING_QUEUE,
    'resync',
    { kind: 'resync', tenantId, subscriptionId } satisfies BillingJob,
    {
      jobId: `resync:${subscriptionId}:${slot}`,
      attempts: 3,
      backoffMs: services.config.BILLING_RETRY_BACKOFF_MS,
    },
  );
}
