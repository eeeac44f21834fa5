import { relayAuditEvents } from '../domain/audit/relay-audit-events.ts';
import { every, type WorkerModule } from './worker-module.ts';

/** How often new audit events are shipped to MongoDB. */
export const AUDIT_RELAY_INTERVAL_MS = 1000;

/** With MONGODB_URL: ships each tenant's new audit events (and prunes) to MongoDB, in seq order. */
export const auditRelay: WorkerModule = {
  name: 'audit-relay',
  async start(services) {
    const mongo = services.audit.mongo;
    if (!mongo) return async () => {};
    return every(services, 'audit-relay', AUDIT_RELAY_INTERVAL_MS, async () => {
      const shipped = await relayAuditEvents(services.database, mongo);
      if (shipped > 0) services.logger.debug({ shipped }, 'audit events shipped to MongoDB');
    });
  },
};
