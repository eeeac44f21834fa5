import type { Tx } from '../../data/database.ts';
import { AppError, notFound } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import type { TimeEntry } from '../../../shared/schemas/roi.ts';
import type { Viewer } from '../sites/viewer.ts';
import { getVisibleService } from './services.ts';

type TimeEntryRow = {
  id: string;
  service_id: string;
  date: string;
  hours: number;
  note: string | null;
  created_at: Date;
};

const COLUMNS = ['id', 'service_id', 'date', 'hours', 'note', 'created_at'] as const;

/**
 * The cost of `hours` at `amount` minor units an hour, rounded half up to the minor unit. Hours
 * have two decimals, so the product is an exact integer of hundredths before the one rounding.
 */
export function hourlyCost(hours: number, amount: number): number {
  const hundredths = Math.round(hours * 100) * amount;
  return Math.floor((hundredths + 50) / 100);
}

/** The API shape of a time entry, with its cost at the service's current rate. */
export const presentTimeEntry = (
  e: TimeEntryRow,
  service: { site_id: string; amount: number },
  currency: string,
): TimeEntry => ({
  id: e.id,
  serviceId: e.service_id,
  siteId: service.site_id,
  date: e.date,
  hours: Number(e.hours),
  note: e.note,
  cost: hourlyCost(Number(e.hours), Number(service.amount)),
  currency,
  createdAt: e.created_at.toISOString(),
});

/** Logs hours on an hourly service (other billing types have no hours to count: 409). */
export async function createTimeEntry(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  serviceId: string,
  input: { date: string; hours: number; note?: string | null },
) {
  const service = await getVisibleService(tx, tenantId, viewer, serviceId);
  if (service.billing !== 'hourly') {
    throw new AppError(
      'conflict',
      `Time entries are recorded on hourly services; this one is billed ${service.billing}`,
    );
  }
  const entry = await tx
    .insertInto('time_entries')
    .values({
      tenant_id: tenantId,
      id: newId(),
      service_id: serviceId,
      date: input.date,
      hours: Math.round(input.hours * 100) / 100,
      note: input.note ?? null,
      created_at: new Date(),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { entry, service };
}

/** A service's time entries, by date then creation, in cursor pages. */
export async function listTimeEntries(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  serviceId: string,
  page: { limit: number; cursor?: string },
) {
  const service = await getVisibleService(tx, tenantId, viewer, serviceId);
  let q = tx
    .selectFrom('time_entries')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('service_id', '=', serviceId)
    .orderBy('date')
    .orderBy('id')
    .limit(page.limit + 1);
  if (page.cursor) q = q.where(afterCursor(page.cursor, ['date', 'date'], ['id', 'uuid'], 'asc'));
  const rows = await q.execute();
  return { service, ...paginate(rows, page.limit, (r) => [r.date, r.id]) };
}

/** Deletes one time entry of a service. */
export async function deleteTimeEntry(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  serviceId: string,
  entryId: string,
) {
  const service = await getVisibleService(tx, tenantId, viewer, serviceId);
  const entry = await tx
    .deleteFrom('time_entries')
    .where('tenant_id', '=', tenantId)
    .where('service_id', '=', serviceId)
    .where('id', '=', entryId)
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!entry) throw notFound('Time entry');
  return { entry, service };
}
