import {
  enqueueSiteSync,
  GOOGLE_SYNC_QUEUE,
  type SiteSyncJob,
} from '../domain/google/sync-queue.ts';
import { findStalledSyncs, queueDailySyncs } from '../domain/google/schedule-syncs.ts';
import { runSiteSync } from '../domain/google/sync-site.ts';
import type { WorkerModule } from './worker-module.ts';

/** Sites one worker process syncs at once. */
const CONCURRENCY = 2;

/** Runs site syncs from the queue (each under its site's lease: see runSiteSync). */
export const googleSyncConsumer: WorkerModule = {
  name: 'google-sync',
  async start(services) {
    const google = services.google;
    if (!google) return async () => undefined;
    return services.queue.process(
      GOOGLE_SYNC_QUEUE,
      async (job) => {
        const { tenantId, siteId } = job.data as SiteSyncJob;
        const outcome = await runSiteSync(
          {
            database: services.database,
            google,
            leaseMs: services.config.GOOGLE_SYNC_LEASE_MS,
            reports: services.cache,
          },
          tenantId,
          siteId,
        );
        services.logger.info({ tenantId, siteId, outcome }, 'google sync');
      },
      { concurrency: CONCURRENCY },
    );
  },
};

/** The queue the daily-sync scheduler fires into, and its scheduler's id. */
export const GOOGLE_SYNC_SCHEDULE_QUEUE = 'google-sync-schedule';
export const GOOGLE_DAILY_SYNC_SCHEDULER = 'google-daily-sync';
/** How often a worker upserts the scheduler again (a flushed Redis loses it). */
const REASSERT_MS = 60 * 60_000;

/**
 * The daily sync of each linked site, scheduled with a job scheduler (BullMQ's on Redis, so one
 * firing every GOOGLE_SYNC_SWEEP_MS whatever the number of workers; the in-process queue's
 * without). Each firing queues the sites whose daily sync is due (a day since their last sync,
 * request or linking: the days since their last synced day plus the 4 before) and re-enqueues
 * every sync whose worker died (its lease ran out) or whose job was lost. The lease, not the
 * scheduler, decides who syncs a site.
 */
export const googleSyncScheduler: WorkerModule = {
  name: 'google-sync-scheduler',
  async start(services) {
    if (!services.google) return async () => undefined;
    const stopConsumer = await services.queue.process(
      GOOGLE_SYNC_SCHEDULE_QUEUE,
      async () => {
        const daily = await queueDailySyncs(services.database);
        const stalled = await findStalledSyncs(services.database);
        const seen = new Set<string>();
        for (const ref of [...daily, ...stalled]) {
          const key = `${ref.tenantId}/${ref.siteId}`;
          if (seen.has(key)) continue;
          seen.add(key);
          await enqueueSiteSync(services.queue, ref.tenantId, ref.siteId);
        }
      },
      { concurrency: 1 },
    );
    let stopSchedule: (() => Promise<void>) | null = null;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    // Upserted at start and again every hour; while Redis is away, tried again until it answers.
    const upsert = async () => {
      if (stopped) return;
      try {
        const stop = await services.queue.schedule(
          GOOGLE_SYNC_SCHEDULE_QUEUE,
          GOOGLE_DAILY_SYNC_SCHEDULER,
          services.config.GOOGLE_SYNC_SWEEP_MS,
          { name: 'daily-syncs', data: {} },
        );
        await stopSchedule?.();
        stopSchedule = stop;
        retry = setTimeout(() => void upsert(), REASSERT_MS);
      } catch (err) {
        services.logger.warn({ err }, 'google daily-sync scheduler not upserted; trying again');
        retry = setTimeout(() => void upsert(), 5_000);
      }
      retry.unref();
    };
    await upsert();
    return async () => {
      stopped = true;
      clearTimeout(retry);
      await stopSchedule?.();
      await stopConsumer();
    };
  },
};
