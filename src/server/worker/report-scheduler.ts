import { mailSettingsOf } from '../domain/mail/outbox.ts';
import {
  buildPendingDeliveries,
  claimDueDeliveries,
} from '../domain/report-schedules/run-schedules.ts';
import { every, type WorkerModule } from './worker-module.ts';

/**
 * Every MAIL_POLL_MS: claims the delivery of each due schedule occurrence, then builds the e-mail
 * of each claimed delivery into the outbox (the outbox sender sends it). Works without SMTP_URL
 * too: the e-mails then wait in the outbox.
 */
export const reportScheduler: WorkerModule = {
  name: 'report-scheduler',
  async start(services) {
    const { config } = services;
    const deps = {
      database: services.database,
      logger: services.logger,
      mail: mailSettingsOf(config),
      appUrl: config.appUrl,
      leaseMs: config.MAIL_LEASE_MS,
    };
    return every(services, 'report-scheduler', config.MAIL_POLL_MS, async () => {
      await claimDueDeliveries(deps);
      await buildPendingDeliveries(deps);
    });
  },
};
