import {
  enqueueSiteSync,
  GOOGLE_SYNC_QUEUE,
  type SiteSyncJob,
} from '../domain/google/sync-queue.ts';
import { findStalledSyncs, queueDailySyncs } from '../domain/google/schedule-syncs.ts';
import { runSiteSync } from '../domain/google/sync-site.ts';
import { every, type WorkerModule } from './worker-module.ts';

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

/**
 * Every GOOGLE_SYNC_SWEEP_MS: the daily sync of each linked site that is due, and a new job for
 * each sync whose worker died (its lease ran out) or whose job was lost (Redis flushed). Any
 * number of workers may sweep at once: the lease decides who syncs.
 */
export const googleSyncScheduler: WorkerModule = {
  name: 'google-sync-scheduler',
  async start(services) {
    if (!services.google) return async () => undefined;
    return every(
      services,
      'google-sync-scheduler',
      services.config.GOOGLE_SYNC_SWEEP_MS,
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
    );
  },
};
