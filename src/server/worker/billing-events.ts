import { sql } from 'kysely';
import { inTransaction } from '../data/scoped-transaction.ts';
import {
  applyStripeObject,
  markEventDead,
  processStripeEvent,
  recordEventFailure,
} from '../domain/billing/apply-stripe-state.ts';
import {
  BILLING_QUEUE,
  enqueueStripeEvent,
  type BillingJob,
} from '../domain/billing/billing-queue.ts';
import { every, type WorkerModule } from './worker.ts';

/**
 * Consumes the Stripe event queue: each job processes an inbox row (or re-syncs a subscription).
 * A job that keeps failing is dead-lettered in the inbox (status `dead`) for a replay.
 */
export const billingEventsConsumer: WorkerModule = {
  name: 'billing-events',
  async start(services) {
    const stop = await services.queue.process(
      BILLING_QUEUE,
      async (job) => {
        const data = job.data as BillingJob;
        if (data.kind === 'resync') {
          await applyStripeObject(services, data.tenantId, `sub:${data.subscriptionId}`, {
            actor: { type: 'system', id: null, label: 'billing re-sync' },
            eventId: null,
          });
          return;
        }
        try {
          await processStripeEvent(services, data.eventId);
        } catch (error) {
          await recordEventFailure(services, data.eventId, error).catch(() => undefined);
          services.logger.warn(
            { err: error, eventId: data.eventId, attempt: job.attempt },
            'stripe event failed',
          );
          throw error;
        }
      },
      {
        concurrency: services.config.BILLING_WORKER_CONCURRENCY,
        async onExhausted(job, error) {
          const data = job.data as BillingJob;
          if (data.kind !== 'event') return;
          services.logger.error(
            { err: error, eventId: data.eventId },
            'stripe event dead-lettered',
          );
          await markEventDead(services, data.eventId, error);
        },
      },
    );
    return stop;
  },
};

/**
 * Nothing is lost when a queue message is: inbox rows still pending after BILLING_SWEEP_AFTER_MS
 * (worker killed, Redis flushed, enqueue failed) are enqueued again. The event id dedupes a job
 * that is in fact still waiting.
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
            .orderBy('received_at')
            .limit(5000)
            .execute(),
        );
        for (const row of rows) await enqueueStripeEvent(services, row.id);
        if (rows.length > 0)
          services.logger.info({ count: rows.length }, 'billing sweeper re-enqueued stripe events');
      },
    );
  },
};
