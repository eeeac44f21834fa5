import { sql } from 'kysely';
import { inTransaction } from '../data/scoped-transaction.ts';
import {
  applyStripeObject,
  markEventsDead,
  processStripeEvents,
  recordEventFailure,
} from '../domain/billing/apply-stripe-state.ts';
import {
  BILLING_QUEUE,
  enqueueStripeEvents,
  type BillingJob,
} from '../domain/billing/billing-queue.ts';
import { microBatcher } from '../lib/micro-batch.ts';
import { every, type WorkerModule } from './worker-module.ts';

/**
 * Consumes the Stripe event queue: each job names inbox rows to process (or a subscription to
 * re-sync). Rows whose job keeps failing are dead-lettered in the inbox (status `dead`) for a
 * replay.
 */
export const billingEventsConsumer: WorkerModule = {
  name: 'billing-events',
  async start(services) {
    // Jobs running at once hand their events to one batcher: a batch reads its rows together and
    // applies each object once, however many of its events are in the batch.
    const events = microBatcher((ids: string[]) => processStripeEvents(services, ids), {
      maxInFlight: 2,
      maxItems: 500,
    });
    const stop = await services.queue.process(
      BILLING_QUEUE,
      async (job) => {
        const data = job.data as BillingJob;
        if (data.kind === 'resync') {
          await applyStripeObject(services, data.tenantId, `sub:${data.subscriptionId}`, {
            actor: { type: 'system', id: null, label: 'billing re-sync' },
            eventIds: [],
          });
          return;
        }
        const outcomes = await Promise.allSettled(data.eventIds.map((id) => events.submit(id)));
        const failed = data.eventIds.filter((_, i) => outcomes[i]!.status === 'rejected');
        if (failed.length === 0) return;
        const error = (outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult)
          .reason as unknown;
        // The queue's exponential backoff: when this job's next try is due.
        const retryInMs = services.config.BILLING_RETRY_BACKOFF_MS * 2 ** (job.attempt - 1);
        for (const [i, id] of data.eventIds.entries()) {
          const outcome = outcomes[i]!;
          if (outcome.status === 'fulfilled') continue;
          await recordEventFailure(services, id, outcome.reason, retryInMs).catch(() => undefined);
        }
        services.logger.warn(
          { err: error, eventIds: failed, attempt: job.attempt },
          'stripe events failed',
        );
        // The job retries; the events it settled are no longer pending and cost one read then.
        throw error;
      },
      {
        // Jobs mostly wait in the batcher; BILLING_WORKER_CONCURRENCY bounds the objects applied.
        concurrency: JOBS_PER_WORKER,
        async onExhausted(job, error) {
          const data = job.data as BillingJob;
          if (data.kind !== 'events') return;
          // Only rows still pending are dead-lettered: the rest of the job was applied.
          const dead = await markEventsDead(services, data.eventIds, error);
          if (dead.length > 0)
            services.logger.error({ err: error, eventIds: dead }, 'stripe events dead-lettered');
        },
      },
    );
    return async () => {
      await stop();
      await events.drain();
    };
  },
};

/** Jobs a worker process holds at once (they cost little: most wait for their batch). */
const JOBS_PER_WORKER = 200;

/**
 * Nothing is lost when a queue message is: inbox rows still pending after BILLING_SWEEP_AFTER_MS
 * (worker killed, Redis flushed, enqueue failed) are enqueued again. A sweep that finds the same
 * rows while its job still waits adds nothing (same job id); a row whose job is in fact still
 * queued is processed twice at worst, which costs one read (it is no longer pending).
 */
export const billingSweeper: WorkerModule = {
  name: 'billing-sweeper',
  async start(services) {
    const after = services.config.BILLING_SWEEP_AFTER_MS;
    return every(
      services,
      'billing-sweeper',
      Math.max(250, Math.min(after / 2, 30_000)),
      async () => {
        const rows = await inTransaction(services.database, {}, (tx) =>
          tx
            .selectFrom('stripe_webhook_events')
            .select('id')
            .where('status', '=', 'pending')
            .where('received_at', '<', sql<Date>`now() - make_interval(secs => ${after / 1000})`)
            // A failed row's retry is its job's: swept only once that retry is overdue too.
            .where((eb) =>
              eb.or([
                eb('retry_at', 'is', null),
                eb('retry_at', '<', sql<Date>`now() - make_interval(secs => ${after / 1000})`),
              ]),
            )
            .orderBy('received_at')
            .limit(5000)
            .execute(),
        );
        await enqueueStripeEvents(
          services,
          rows.map((r) => r.id),
          'sweep',
        );
        if (rows.length > 0)
          services.logger.info({ count: rows.length }, 'billing sweeper re-enqueued stripe events');
      },
    );
  },
};
