import type { Tx } from '../../data/database.ts';
import { AppError, invalid, notFound } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import type { PeriodPreset } from '../../../shared/schemas/report-period.ts';
import type {
  CreateReportScheduleBody,
  ReportDelivery,
  ReportSchedule,
  UpdateReportScheduleBody,
} from '../../../shared/schemas/report-schedules.ts';
import { assertSitesExist } from '../members/members.ts';
import { currentPeriodKey, nextOccurrence, type ScheduleTiming } from './occurrences.ts';

const COLUMNS = [
  'id',
  'name',
  'site_ids',
  'recipients',
  'frequency',
  'day_of_week',
  'day_of_month',
  'hour',
  'period',
  'attach_pdf',
  'created_at',
  'updated_at',
] as const;

type ScheduleRow = {
  id: string;
  name: string;
  site_ids: string[];
  recipients: string[];
  frequency: 'weekly' | 'monthly';
  day_of_week: number | null;
  day_of_month: number | null;
  hour: number;
  period: unknown;
  attach_pdf: boolean;
  created_at: Date;
  updated_at: Date;
};

/** A stored period (jsonb) as its preset. */
export const parsePeriod = (value: unknown) =>
  (typeof value === 'string' ? JSON.parse(value) : value) as { preset: PeriodPreset };

/** The timing fields of a schedule row. */
export const timingOf = (r: {
  frequency: 'weekly' | 'monthly';
  day_of_week: number | null;
  day_of_month: number | null;
  hour: number;
}): ScheduleTiming => ({
  frequency: r.frequency,
  dayOfWeek: r.day_of_week,
  dayOfMonth: r.day_of_month,
  hour: r.hour,
});

/** The API shape of a schedule; nextRunAt in the tenant's time zone. */
export function presentSchedule(
  r: ScheduleRow,
  timeZone: string,
  now = new Date(),
): ReportSchedule {
  return {
    id: r.id,
    name: r.name,
    siteIds: r.site_ids,
    recipients: r.recipients,
    frequency: r.frequency,
    dayOfWeek: r.day_of_week,
    dayOfMonth: r.day_of_month,
    hour: r.hour,
    period: { preset: parsePeriod(r.period).preset },
    attachPdf: r.attach_pdf,
    nextRunAt: nextOccurrence(timingOf(r), now, timeZone).at.toISOString(),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** Creates a schedule; its sites must exist in the tenant (400 naming the bad ones). */
export async function createReportSchedule(
  tx: Tx,
  tenantId: string,
  userId: string | null,
  input: CreateReportScheduleBody,
): Promise<ScheduleRow> {
  const siteIds = [...new Set(input.siteIds)];
  await assertSitesExist(tx, tenantId, siteIds);
  const now = new Date();
  return tx
    .insertInto('report_schedules')
    .values({
      tenant_id: tenantId,
      id: newId(),
      name: input.name,
      site_ids: siteIds,
      recipients: [...new Set(input.recipients)],
      frequency: input.frequency,
      day_of_week: input.frequency === 'weekly' ? (input.dayOfWeek ?? null) : null,
      day_of_month: input.frequency === 'monthly' ? (input.dayOfMonth ?? null) : null,
      hour: input.hour,
      period: JSON.stringify(input.period),
      attach_pdf: input.attachPdf,
      created_by: userId,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** The tenant's schedules, oldest first. */
export async function listReportSchedules(
  tx: Tx,
  tenantId: string,
  page: { limit: number; cursor?: string },
) {
  let q = tx
    .selectFrom('report_schedules')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'asc'));
  return paginate(await q.execute(), page.limit, (r) => [r.created_at.toISOString(), r.id]);
}

/** One schedule, or 404 (another tenant's too). */
export async function getReportSchedule(
  tx: Tx,
  tenantId: string,
  id: string,
  lock = false,
): Promise<ScheduleRow> {
  let q = tx
    .selectFrom('report_schedules')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound('Report schedule');
  return row;
}

/** Changes a schedule; the merged timing must still fit its frequency (400 otherwise). */
export async function updateReportSchedule(
  tx: Tx,
  tenantId: string,
  id: string,
  patch: UpdateReportScheduleBody,
): Promise<{ before: ScheduleRow; after: ScheduleRow }> {
  const before = await getReportSchedule(tx, tenantId, id, true);
  const frequency = patch.frequency ?? before.frequency;
  // Switching frequency drops the other frequency's day unless the patch names it.
  let dayOfWeek = patch.dayOfWeek !== undefined ? patch.dayOfWeek : before.day_of_week;
  let dayOfMonth = patch.dayOfMonth !== undefined ? patch.dayOfMonth : before.day_of_month;
  if (patch.frequency && patch.frequency !== before.frequency) {
    if (patch.frequency === 'weekly' && patch.dayOfMonth === undefined) dayOfMonth = null;
    if (patch.frequency === 'monthly' && patch.dayOfWeek === undefined) dayOfWeek = null;
  }
  const errors = [];
  if (frequency === 'weekly' && dayOfWeek == null)
    errors.push({ path: 'dayOfWeek', message: 'a weekly schedule needs dayOfWeek' });
  if (frequency === 'weekly' && dayOfMonth != null)
    errors.push({ path: 'dayOfMonth', message: 'only for a monthly schedule' });
  if (frequency === 'monthly' && dayOfMonth == null)
    errors.push({ path: 'dayOfMonth', message: 'a monthly schedule needs dayOfMonth' });
  if (frequency === 'monthly' && dayOfWeek != null)
    errors.push({ path: 'dayOfWeek', message: 'only for a weekly schedule' });
  if (errors.length) throw invalid(errors);
  if (patch.siteIds) await assertSitesExist(tx, tenantId, [...new Set(patch.siteIds)]);
  const after = await tx
    .updateTable('report_schedules')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.siteIds ? { site_ids: [...new Set(patch.siteIds)] } : {}),
      ...(patch.recipients ? { recipients: [...new Set(patch.recipients)] } : {}),
      frequency,
      day_of_week: dayOfWeek ?? null,
      day_of_month: dayOfMonth ?? null,
      ...(patch.hour !== undefined ? { hour: patch.hour } : {}),
      ...(patch.period ? { period: JSON.stringify(patch.period) } : {}),
      ...(patch.attachPdf !== undefined ? { attach_pdf: patch.attachPdf } : {}),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { before, after };
}

/** Deletes a schedule and its delivery history (messages already in the outbox stay). */
export async function deleteReportSchedule(tx: Tx, tenantId: string, id: string) {
  const row = await tx
    .deleteFrom('report_schedules')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) throw notFound('Report schedule');
  return row;
}

const DELIVERY_COLUMNS = [
  'id',
  'schedule_id',
  'period_key',
  'status',
  'trigger',
  'recipients',
  'outbox_id',
  'created_at',
  'sent_at',
  'error',
] as const;

type DeliveryRow = {
  id: string;
  schedule_id: string;
  period_key: string;
  status: 'pending' | 'sent' | 'failed';
  trigger: 'schedule' | 'manual';
  recipients: string[];
  outbox_id: string | null;
  created_at: Date;
  sent_at: Date | null;
  error: string | null;
};

export const presentDelivery = (d: DeliveryRow): ReportDelivery => ({
  id: d.id,
  scheduleId: d.schedule_id,
  periodKey: d.period_key,
  status: d.status,
  trigger: d.trigger,
  recipients: d.recipients,
  outboxMessageId: d.outbox_id,
  createdAt: d.created_at.toISOString(),
  sentAt: d.sent_at?.toISOString() ?? null,
  error: d.error,
});

/** A schedule's deliveries, newest first. */
export async function listDeliveries(
  tx: Tx,
  tenantId: string,
  scheduleId: string,
  page: { limit: number; cursor?: string },
) {
  await getReportSchedule(tx, tenantId, scheduleId);
  let q = tx
    .selectFrom('report_deliveries')
    .select(DELIVERY_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('schedule_id', '=', scheduleId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'desc'));
  const result = paginate(await q.execute(), page.limit, (r) => [r.created_at.toISOString(), r.id]);
  return { data: result.data.map(presentDelivery), nextCursor: result.nextCursor };
}

/**
 * Claims the delivery of one occurrence: inserts its row, unique per (tenant, schedule, period
 * key), before anything is built or sent. Returns null when the occurrence already has one. The
 * row is left unleased, so the next worker tick builds and queues its e-mail.
 */
export async function claimDelivery(
  tx: Tx,
  tenantId: string,
  schedule: { id: string; recipients: string[] },
  periodKey: string,
  trigger: 'schedule' | 'manual',
): Promise<DeliveryRow | null> {
  const row = await tx
    .insertInto('report_deliveries')
    .values({
      tenant_id: tenantId,
      id: newId(),
      schedule_id: schedule.id,
      period_key: periodKey,
      trigger,
      recipients: schedule.recipients,
      created_at: new Date(),
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'schedule_id', 'period_key']).doNothing())
    .returning(DELIVERY_COLUMNS)
    .executeTakeFirst();
  return row ?? null;
}

/**
 * "Send now": claims the current occurrence (the week or month `now` is in, in the tenant's time
 * zone). One already sent or under way is a 409 naming it; a failed one is tried again (same
 * delivery, same Message-ID).
 */
export async function sendScheduleNow(
  tx: Tx,
  tenantId: string,
  scheduleId: string,
  timeZone: string,
  now = new Date(),
): Promise<ReportDelivery> {
  const schedule = await getReportSchedule(tx, tenantId, scheduleId, true);
  const periodKey = currentPeriodKey(timingOf(schedule), now, timeZone);
  const claimed = await claimDelivery(tx, tenantId, schedule, periodKey, 'manual');
  if (claimed) return presentDelivery(claimed);
  const existing = await tx
    .selectFrom('report_deliveries')
    .select(DELIVERY_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('schedule_id', '=', scheduleId)
    .where('period_key', '=', periodKey)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (existing.status !== 'failed') {
    throw new AppError(
      'conflict',
      `The ${periodKey} report of this schedule is already ${existing.status === 'sent' ? 'delivered' : 'under way'} (delivery ${existing.id})`,
    );
  }
  const retried = await tx
    .updateTable('report_deliveries')
    .set({
      status: 'pending',
      trigger: 'manual',
      recipients: schedule.recipients,
      outbox_id: null,
      locked_until: null,
      attempts: 0,
      error: null,
      sent_at: null,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', existing.id)
    .returning(DELIVERY_COLUMNS)
    .executeTakeFirstOrThrow();
  return presentDelivery(retried);
}
