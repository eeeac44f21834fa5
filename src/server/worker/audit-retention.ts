import { pruneExpiredAuditEvents } from '../domain/audit/prune-audit-events.ts';
import type { AppServices } from '../services.ts';
import { every, type WorkerModule } from './worker-module.ts';

/** How often plan retention is applied to the audit log. */
export const AUDIT_RETENTION_INTERVAL_MS = 6 * 3_600_000;
/**
 * The first pass waits a few minutes after start: it visits every tenant, which a process that
 * was just (re)started, or a short-lived test app on a shared database, should not pay at once.
 */
export const AUDIT_RETENTION_FIRST_RUN_MS = 5 * 60_000;

async function applyRetention(services: AppServices) {
  const report = await pruneExpiredAuditEvents(services.database);
  const pruned = Object.values(report.pruned).reduce((a, b) => a + b, 0);
  if (pruned > 0)
    services.logger.info(
      { pruned, tenants: Object.keys(report.pruned).length },
      'audit retention applied',
    );
  for (const [tenantId, seq] of Object.entries(report.refused)) {
    services.logger.error(
      { tenantId, seq },
      'audit chain invalid; expired events kept as evidence',
    );
  }
}

/**
 * Deletes audit events older than each tenant's plan retention, keeping a checkpoint so the rest
 * of the chain still verifies. A run that fails verification is left alone and logged as an error.
 */
export const auditRetention: WorkerModule = {
  name: 'audit-retention',
  async start(services) {
    let stopEvery: (() => Promise<void>) | null = null;
    const delay = setTimeout(() => {
      stopEvery = every(services, 'audit-retention', AUDIT_RETENTION_INTERVAL_MS, () =>
        applyRetention(services),
      );
    }, AUDIT_RETENTION_FIRST_RUN_MS);
    delay.unref();
    return async () => {
      clearTimeout(delay);
      await stopEvery?.();
    };
  },
};
