import { sendDueMail } from '../domain/mail/send-outbox.ts';
import { createSmtpMailer } from '../infra/mailer.ts';
import { every, type WorkerModule } from './worker-module.ts';

/**
 * Sends queued mail through SMTP_URL every MAIL_POLL_MS. Without SMTP_URL it does nothing: the
 * messages stay queued in the outbox, readable in the app.
 */
export const outboxSender: WorkerModule = {
  name: 'outbox-sender',
  async start(services) {
    const { config } = services;
    if (!config.SMTP_URL) return async () => undefined;
    // Each SMTP step is bounded well inside the lease, so a slow server cannot outlive it.
    const mailer = createSmtpMailer(
      config.SMTP_URL,
      Math.max(250, Math.floor(config.MAIL_LEASE_MS / 3)),
    );
    const stop = every(services, 'outbox-sender', config.MAIL_POLL_MS, async () => {
      // Drain in batches while there is work, then wait for the next tick.
      while (
        (await sendDueMail({
          database: services.database,
          mailer,
          logger: services.logger,
          fromAddress: config.mailFrom.address,
          leaseMs: config.MAIL_LEASE_MS,
        })) >= 20
      );
    });
    return async () => {
      await stop();
      mailer.close();
    };
  },
};
