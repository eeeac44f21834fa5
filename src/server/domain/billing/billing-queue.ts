import type { JobRequest } from '../../infra/queue/job-queue.ts';
import type { BillingDeps } from './billing-deps.ts';

/** The queue Stripe work goes through. Jobs are prompts; the inbox table holds the truth. */
export const BILLING_QUEUE = 'stripe-events';

export type BillingJob =
  /** Process inbox rows (each settles every pending row about the same object). */
  | { kind: 'events'; eventIds: string[] }
  /** Re-read a subscription from Stripe and apply it (periodic re-sync). */
  | { kind: 'resync'; tenantId: string; subscriptionId: string };

/** Most inbox rows one job names. */
export const EVENTS_PER_JOB = 500;

/**
 * Enqueues processing of stored events: one job per EVENTS_PER_JOB of them, so a batch of
 * deliveries costs one queue round trip and one job. A job's id is `<tag>:<first id>:<count>`:
 * the same events enqueued again with the same tag while their job waits are not added twice (a
 * sweep that finds them still pending), and another tag adds a job of its own (a replay).
 */
export async function enqueueStripeEvents(
  services: Pick<BillingDeps, 'queue' | 'config'>,
  eventIds: string[],
  tag = 'events',
): Promise<void> {
  const jobs: JobRequest[] = [];
  for (let i = 0; i < eventIds.length; i += EVENTS_PER_JOB) {
    const ids = eventIds.slice(i, i + EVENTS_PER_JOB);
    jobs.push({
      name: 'events',
      data: { kind: 'events', eventIds: ids } satisfies BillingJob,
      options: {
        jobId: `${tag}:${ids[0]}:${ids.length}`,
        attempts: services.config.BILLING_JOB_ATTEMPTS,
        backoffMs: services.config.BILLING_RETRY_BACKOFF_MS,
      },
    });
  }
  await services.queue.enqueueMany(BILLING_QUEUE, jobs);
}

/** Enqueues a re-sync of one subscription (deduped per subscription and `slot`). */
export async function enqueueResync(
  services: BillingDeps,
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
