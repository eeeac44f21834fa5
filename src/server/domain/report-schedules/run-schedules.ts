import { sql } from 'kysely';
import type { Database } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import type { Logger } from '../../logger.ts';
import { newId } from '../../lib/ids.ts';
import { fromNameFor, mailDomain, storedAttachments, type MailSettings } from '../mail/outbox.ts';
import { reportPdfInput } from '../reports/report-document.ts';
import { renderRoiReportPdf } from '../reports/report-pdf.ts';
import { latestOccurrence } from './occurrences.ts';
import { composeReportMail } from './report-mail.ts';
import { claimDelivery, parsePeriod, timingOf } from './schedules.ts';

export interface SchedulerDeps {
  database: Database;
  logger: Logger;
  mail: MailSettings;
  appUrl: string;
  /** How long a worker may build one delivery's e-mail before another takes over. */
  leaseMs: number;
}

/** Tries to build a delivery's e-mail before it is marked failed. */
const MAX_BUILD_ATTEMPTS = 3;

/** The Message-ID of a schedule's occurrence: the same on every try, on every worker. */
export const reportMessageId = (scheduleId: string, periodKey: string, fromAddress: string) =>
  `<${scheduleId}.${periodKey}@${mailDomain(fromAddress)}>`;

/**
 * Claims a delivery row for every schedule whose latest occurrence is due and has none yet (an
 * occurrence before the schedule was created is not due). The unique (tenant, schedule, period
 * key) makes a second worker's claim a no-op. Returns how many were claimed.
 */
export async function claimDueDeliveries(deps: SchedulerDeps, now = new Date()): Promise<number> {
  const due = await inTransaction(
    deps.database,
    { workerScope: 'report-schedules' },
    async (tx) => {
      const schedules = await tx
        .selectFrom('report_schedules')
        .innerJoin('tenants', 'tenants.id', 'report_schedules.tenant_id')
        .select([
          'report_schedules.tenant_id',
          'report_schedules.id',
          'report_schedules.frequency',
          'report_schedules.day_of_week',
          'report_schedules.day_of_month',
          'report_schedules.hour',
          'report_schedules.recipients',
          'report_schedules.created_at',
          'tenants.timezone',
        ])
        .execute();
      const candidates = schedules
        .map((s) => ({ s, occurrence: latestOccurrence(timingOf(s), now, s.timezone) }))
        .filter(({ s, occurrence }) => occurrence.at >= s.created_at);
      if (candidates.length === 0) return [];
      const keys = [...new Set(candidates.map((c) => c.occurrence.periodKey))];
      const existing = await tx
        .selectFrom('report_deliveries')
        .select(['schedule_id', 'period_key'])
        .where('period_key', 'in', keys)
        .execute();
      const have = new Set(existing.map((d) => `${d.schedule_id}/${d.period_key}`));
      return candidates.filter(({ s, occurrence }) => !have.has(`${s.id}/${occurrence.periodKey}`));
    },
  );
  let claimed = 0;
  for (const { s, occurrence } of due) {
    const row = await inTransaction(deps.database, { tenantId: s.tenant_id }, (tx) =>
      claimDelivery(tx, s.tenant_id, s, occurrence.periodKey, 'schedule'),
    );
    if (row) claimed += 1;
  }
  return claimed;
}

/**
 * Builds the e-mail of every claimed delivery that has none yet: a lease on the delivery (one
 * builder at a time; a killed one's lease expires), the report read in a short transaction, the
 * PDF rendered with none open, then the outbox row (Message-ID from schedule and period key) and
 * the delivery's link to it written together. Returns how many were built.
 */
export async function buildPendingDeliveries(
  deps: SchedulerDeps,
  now = new Date(),
): Promise<number> {
  const pending = await inTransaction(deps.database, { workerScope: 'report-schedules' }, (tx) =>
    tx
      .selectFrom('report_deliveries')
      .select(['tenant_id', 'id'])
      .where('status', '=', 'pending')
      .where('outbox_id', 'is', null)
      .where((eb) =>
        eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', sql<Date>`now()`)]),
      )
      .orderBy('created_at')
      .limit(20)
      .execute(),
  );
  let built = 0;
  for (const ref of pending) {
    const scope = { tenantId: ref.tenant_id };
    const delivery = await inTransaction(deps.database, scope, (tx) =>
      tx
        .updateTable('report_deliveries')
        .set({
          locked_until: sql<Date>`now() + ${deps.leaseMs} * interval '1 millisecond'`,
          attempts: sql`attempts + 1`,
        })
        .where('tenant_id', '=', ref.tenant_id)
        .where('id', '=', ref.id)
        .where('status', '=', 'pending')
        .where('outbox_id', 'is', null)
        .where(sql<boolean>`(locked_until IS NULL OR locked_until < now())`)
        .returning(['id', 'schedule_id', 'period_key', 'recipients', 'attempts'])
        .executeTakeFirst(),
    );
    if (!delivery) continue; // another worker has it
    try {
      const prepared = await inTransaction(deps.database, scope, async (tx) => {
        const schedule = await tx
          .selectFrom('report_schedules')
          .select(['id', 'name', 'site_ids', 'period', 'attach_pdf'])
          .where('tenant_id', '=', ref.tenant_id)
          .where('id', '=', delivery.schedule_id)
          .executeTakeFirstOrThrow();
        const mail = await composeReportMail(
          tx,
          ref.tenant_id,
          { ...schedule, period: parsePeriod(schedule.period) },
          { now, appUrl: deps.appUrl, withLogo: schedule.attach_pdf },
        );
        return { schedule, mail };
      });
      const { schedule, mail } = prepared;
      const attachments = schedule.attach_pdf
        ? [
            {
              filename:
                `${mail.doc.branding.name} ${mail.range.from} to ${mail.range.to}.pdf`.replace(
                  /[^\w .-]+/g,
                  '-',
                ),
              contentType: 'application/pdf',
              content: await renderRoiReportPdf(reportPdfInput(mail.doc)),
            },
          ]
        : [];
      const messageId = reportMessageId(schedule.id, delivery.period_key, deps.mail.fromAddress);
      await inTransaction(deps.database, scope, async (tx) => {
        const values = {
          to_addresses: delivery.recipients,
          from_name: fromNameFor(mail.tenant, deps.mail),
          subject: mail.subject,
          text_body: mail.text,
          html_body: mail.html,
          attachments: storedAttachments(attachments),
          delivery_id: delivery.id,
          next_attempt_at: new Date(),
        };
        // A failed earlier try of this occurrence ("send now" again) is queued again under the
        // same Message-ID; a queued or sent one is kept as it is.
        await tx
          .insertInto('outbox_messages')
          .values({
            tenant_id: ref.tenant_id,
            id: newId(),
            kind: 'report',
            message_id: messageId,
            created_at: new Date(),
            ...values,
          })
          .onConflict((oc) =>
            oc
              .columns(['tenant_id', 'message_id'])
              .doUpdateSet({
                ...values,
                status: 'queued',
                attempts: 0,
                error: null,
                sent_at: null,
                locked_until: null,
              })
              .where('outbox_messages.status', '=', 'failed'),
          )
          .execute();
        const outbox = await tx
          .selectFrom('outbox_messages')
          .select('id')
          .where('tenant_id', '=', ref.tenant_id)
          .where('message_id', '=', messageId)
          .executeTakeFirstOrThrow();
        await tx
          .updateTable('report_deliveries')
          .set({ outbox_id: outbox.id, locked_until: null })
          .where('tenant_id', '=', ref.tenant_id)
          .where('id', '=', delivery.id)
          .where('status', '=', 'pending')
          .execute();
      });
      built += 1;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const final = delivery.attempts >= MAX_BUILD_ATTEMPTS;
      deps.logger.error({ err, deliveryId: delivery.id, final }, 'report e-mail not built');
      await inTransaction(deps.database, scope, (tx) =>
        tx
          .updateTable('report_deliveries')
          .set(
            final
              ? { status: 'failed', error: error.slice(0, 1000), locked_until: null }
              : { error: error.slice(0, 1000), locked_until: null },
          )
          .where('tenant_id', '=', ref.tenant_id)
          .where('id', '=', delivery.id)
          .where('status', '=', 'pending')
          .execute(),
      );
    }
  }
  return built;
}
