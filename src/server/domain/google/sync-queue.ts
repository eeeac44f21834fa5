import type { JobQueue } from '../../infra/queue/job-queue.ts';

/** The queue site syncs go through. Jobs are prompts; `site_syncs` holds the truth. */
export const GOOGLE_SYNC_QUEUE = 'google-sync';

export interface SiteSyncJob {
  tenantId: string;
  siteId: string;
}

/**
 * Enqueues a site's sync. One job id per site: while one waits, another request adds none (the
 * waiting job runs whatever range is stored when it starts).
 */
export async function enqueueSiteSync(
  queue: Pick<JobQueue, 'enqueue'>,
  tenantId: string,
  siteId: string,
): Promise<void> {
  await queue.enqueue(GOOGLE_SYNC_QUEUE, 'sync-site', { tenantId, siteId } satisfies SiteSyncJob, {
    jobId: `google-sync-${tenantId}-${siteId}`,
    attempts: 3,
    backoffMs: 1000,
  });
}
