import {
  applyEndedGracePeriods,
  reconcileStripeEvents,
  resyncAllSubscriptions,
  RESYNC_EVERY_MS,
} from '../domain/billing/reconcile-billing.ts';
import { every, type WorkerModule } from './worker-module.ts';

/** How often the Events API is read, and how far back the first read looks. */
const RECONCILE_EVERY_MS = 5 * 60_000;
const FIRST_LOOKBACK_S = 3 * 86_400;
/** Later reads overlap the previous one by this much (events are listed by creation time). */
const OVERLAP_S = 3600;
const GRACE_CHECK_EVERY_MS = 5 * 60_000;

/** The reconciliation job: gaps in webhook delivery are filled from the Events API. */
export const billingReconcile: WorkerModule = {
  name: 'billing-reconcile',
  async start(services) {
    let lastRunStart: number | null = null;
    return every(services, 'billing-reconcile', RECONCILE_EVERY_MS, async () => {
      const startedAt = Math.floor(Date.now() / 1000);
      const since = lastRunStart === null ? startedAt - FIRST_LOOKBACK_S : lastRunStart - OVERLAP_S;
      const missing = await reconcileStripeEvents(services, since);
      lastRunStart = startedAt;
      if (missing > 0)
        services.logger.warn({ missing }, 'reconciliation found stripe events the webhook missed');
    });
  },
};

/** Periodic re-sync of paying tenants with Stripe, and the end of grace periods. */
export const billingResync: WorkerModule = {
  name: 'billing-resync',
  async start(services) {
    const stopResync = every(services, 'billing-resync', RESYNC_EVERY_MS, async () => {
      await resyncAllSubscriptions(services);
    });
    const stopGrace = every(services, 'billing-grace', GRACE_CHECK_EVERY_MS, async () => {
      await applyEndedGracePeriods(services);
    });
    return async () => {
      await stopResync();
      await stopGrace();
    };
  },
};
