import type { AppServices } from '../services.ts';
import { auditRelay } from './audit-relay.ts';
import { auditRetention } from './audit-retention.ts';
import { billingEventsConsumer, billingSweeper } from './billing-events.ts';
import { billingReconcile, billingResync } from './billing-reconcile.ts';
import { coreMaintenance } from './core-maintenance.ts';
import { securityAudit } from './security-audit.ts';

/** A unit of background work: registers queue consumers and timers; returns its stop function. */
export interface WorkerModule {
  name: string;
  start(services: AppServices): Promise<() => Promise<void>>;
}

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

/**
 * Runs `task` every `ms` (and once soon after start), never overlapping itself; errors are
 * logged and the next tick tries again.
 */
export function every(services: AppServices, name: string, ms: number, task: () => Promise<void>) {
  let running = false;
  let stopped = false;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await task();
    } catch (err) {
      services.logger.error({ err, task: name }, 'periodic task failed');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), Math.min(ms, 1000));
  const timer = setInterval(() => void tick(), ms);
  timer.unref();
  first.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
    while (running) await new Promise((r) => setTimeout(r, 10));
  };
}
