import type { AppServices } from '../services.ts';
import type { WorkerModule } from './worker-module.ts';
import { auditRelay } from './audit-relay.ts';
import { auditRetention } from './audit-retention.ts';
import { billingEventsConsumer, billingSweeper } from './billing-events.ts';
import { billingReconcile, billingResync } from './billing-reconcile.ts';
import { coreMaintenance } from './core-maintenance.ts';
import { googleSyncConsumer, googleSyncScheduler } from './google-sync.ts';
import { outboxSender } from './outbox-sender.ts';
import { reportScheduler } from './report-scheduler.ts';
import { securityAudit } from './security-audit.ts';
import { workspaceRollups } from './workspace-rollups.ts';

/** Every background module of the worker role. */
export const workerModules: WorkerModule[] = [
  coreMaintenance,
  auditRetention,
  auditRelay,
  billingEventsConsumer,
  billingSweeper,
  billingReconcile,
  billingResync,
  securityAudit,
  googleSyncConsumer,
  googleSyncScheduler,
  reportScheduler,
  outboxSender,
  workspaceRollups,
];

/** Starts the worker role in this process. */
export async function startWorker(services: AppServices): Promise<{ stop(): Promise<void> }> {
  const stops: (() => Promise<void>)[] = [];
  for (const module of workerModules) {
    stops.push(await module.start(services));
    services.logger.debug({ module: module.name }, 'worker module started');
  }
  return {
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
