import type { Tx } from '../../data/database.ts';
import type { Role, ServicesTable } from '../../data/schema.ts';
import { invalid, notFound } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import type { CreateServiceBody, Service, UpdateServiceBody } from '../../../shared/schemas/roi.ts';
import { getVisibleSite } from '../sites/sites.ts';
import { grantedSiteIds, type Viewer } from '../sites/viewer.ts';

type ServiceRow = Omit<ServicesTable, 'tenant_id' | 'created_at' | 'updated_at'> & {
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = [
  'id',
  'site_id',
  'name',
  'category',
  'billing',
  'amount',
  'start_date',
  'end_date',
  'created_at',
  'updated_at',
] as const;

/** The API shape of a service; money beside the tenant's currency. */
export const presentService = (s: ServiceRow, currency: string): Service => ({
  id: s.id,
  siteId: s.site_id,
  name: s.name,
  category: s.category,
  billing: s.billing,
  amount: Number(s.amount),
  currency,
  startDate: s.start_date,
  endDate: s.end_date,
  createdAt: s.created_at.toISOString(),
  updatedAt: s.updated_at.toISOString(),
});

/**
 * A service as `role` may read it: a `client` member does not see the agency's hourly rate
 * (their reports show what the hours cost, not what an hour is billed internally).
 */
export function presentServiceFor(s: ServiceRow, currency: string, role: Role | null): Service {
  const service = presentService(s, currency);
  const staff = role !== null && role !== 'client';
  if (staff || s.billing !== 'hourly') return service;
  delete service.amount;
  return service;
}

export const serviceNotFound = () => notFound('Service');

/** Records a service delivered to a site; a site of another tenant is the 404 of a missing one. */
export async function createService(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  input: CreateServiceBody,
): Promise<ServiceRow> {
  await getVisibleSite(tx, tenantId, viewer, input.siteId);
  const now = new Date();
  return tx
    .insertInto('services')
    .values({
      tenant_id: tenantId,
      id: newId(),
      site_id: input.siteId,
      name: input.name,
      category: input.category,
      billing: input.billing,
      amount: input.amount,
      start_date: input.startDate,
      end_date: input.endDate ?? null,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** Services the viewer may see (of one site or all), oldest first, in cursor pages. */
export async function listServices(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  query: { siteId?: string; limit: number; cursor?: string },
): Promise<{ data: ServiceRow[]; nextCursor: string | null }> {
  if (query.siteId) await getVisibleSite(tx, tenantId, viewer, query.siteId);
  const granted = query.siteId ? null : await grantedSiteIds(tx, tenantId, viewer);
  if (granted && granted.length === 0) return { data: [], nextCursor: null };
  let q = tx
    .selectFrom('services')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.siteId) q = q.where('site_id', '=', query.siteId);
  if (granted) q = q.where('site_id', 'in', granted);
  if (query.cursor)
    q = q.where(afterCursor(query.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'asc'));
  const rows = await q.execute();
  return paginate(rows, query.limit, (r) => [r.created_at.toISOString(), r.id]);
}

/** A service on a site the viewer may see, or 404. `lock` locks it for a change. */
export async function getVisibleService(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  serviceId: string,
  lock = false,
): Promise<ServiceRow> {
  let q = tx
    .selectFrom('services')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', serviceId);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw serviceNotFound();
  const granted = await grantedSiteIds(tx, tenantId, viewer);
  if (granted && !granted.includes(row.site_id)) throw serviceNotFound();
  return row;
}

/** Changes a service; the merged start and end dates must stay in order. */
export async function updateService(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  serviceId: string,
  patch: UpdateServiceBody,
): Promise<{ before: ServiceRow; after: ServiceRow }> {
  const before = await getVisibleService(tx, tenantId, viewer, serviceId, true);
  const start = patch.startDate ?? before.start_date;
  const end = patch.endDate === undefined ? before.end_date : patch.endDate;
  if (end !== null && end < start) {
    throw invalid([
      {
        path: patch.endDate !== undefined ? 'endDate' : 'startDate',
        message: 'endDate must not be before startDate',
      },
    ]);
  }
  const after = await tx
    .updateTable('services')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.category !== undefined ? { category: patch.category } : {}),
      ...(patch.billing !== undefined ? { billing: patch.billing } : {}),
      ...(patch.amount !== undefined ? { amount: patch.amount } : {}),
      ...(patch.startDate !== undefined ? { start_date: patch.startDate } : {}),
      ...(patch.endDate !== undefined ? { end_date: patch.endDate } : {}),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', serviceId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { before, after };
}

/** Deletes a service and its time entries. */
export async function deleteService(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  serviceId: string,
): Promise<ServiceRow> {
  const row = await getVisibleService(tx, tenantId, viewer, serviceId, true);
  await tx
    .deleteFrom('services')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', serviceId)
    .execute();
  return row;
}
