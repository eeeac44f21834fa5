import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { AppError, notFound } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import type { Annotation, CreateAnnotationBody } from '../../../shared/schemas/annotations.ts';
import { assertVisibleSites, getVisibleSite } from '../sites/sites.ts';
import { grantedSiteIds, type Viewer } from '../sites/viewer.ts';

type ServiceKind = 'start' | 'end' | 'job';

/**
 * The id of a service's automatic annotation: a UUID (version 8) derived from the service and
 * which of its dates it marks, so it is stable from one read to the next without being stored.
 */
export function serviceAnnotationId(serviceId: string, kind: ServiceKind): string {
  const hex = createHash('sha256').update(`service-annotation:${serviceId}:${kind}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface ServiceRow {
  id: string;
  site_id: string;
  name: string;
  billing: 'monthly' | 'one_time' | 'hourly';
  start_date: string;
  end_date: string | null;
}

/** The automatic annotations of one service: a retainer's (or hourly work's) start and end, a one-off job's date. */
function annotationsOfService(s: ServiceRow): Annotation[] {
  const make = (kind: ServiceKind, date: string, title: string): Annotation => ({
    id: serviceAnnotationId(s.id, kind),
    siteId: s.site_id,
    date,
    title,
    note: null,
    source: 'service',
    serviceId: s.id,
    createdAt: null,
  });
  if (s.billing === 'one_time') return [make('job', s.start_date, `One-off: ${s.name}`)];
  const label = s.billing === 'monthly' ? 'Retainer' : 'Hourly service';
  const out = [make('start', s.start_date, `${label} started: ${s.name}`)];
  if (s.end_date) out.push(make('end', s.end_date, `${label} ended: ${s.name}`));
  return out;
}

export interface ListAnnotationsOptions {
  /** Those sites' annotations and the workspace-wide ones; null: every site's. */
  siteIds: string[] | null;
  /** Inclusive bounds; absent: unbounded. */
  from?: string;
  to?: string;
  /** Keyset: only annotations after this (date, id). */
  after?: { date: string; id: string };
  /** At most this many (the first ones by date, then id). */
  limit?: number;
}

const byDateThenId = (a: Annotation, b: Annotation) =>
  a.date < b.date ? -1 : a.date > b.date ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * The annotations of a set of sites (and the workspace-wide ones) in a date range, ordered by
 * date then id: the stored manual ones and the automatic ones of the sites' services. Checks no
 * visibility itself: callers pass only sites their reader may see (a share link's sites, a
 * client's grants).
 */
export async function listAnnotations(
  tx: Tx,
  tenantId: string,
  options: ListAnnotationsOptions,
): Promise<Annotation[]> {
  const { siteIds, from, to, after, limit } = options;
  let stored = tx
    .selectFrom('annotations')
    .select(['id', 'site_id', 'date', 'title', 'note', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('date')
    .orderBy('id');
  if (siteIds) {
    stored =
      siteIds.length > 0
        ? stored.where((eb) => eb.or([eb('site_id', 'is', null), eb('site_id', 'in', siteIds)]))
        : stored.where('site_id', 'is', null);
  }
  if (from) stored = stored.where('date', '>=', from);
  if (to) stored = stored.where('date', '<=', to);
  if (after)
    stored = stored.where(sql<boolean>`(date, id) > (${after.date}::date, ${after.id}::uuid)`);
  if (limit !== undefined) stored = stored.limit(limit);
  const manual: Annotation[] = (await stored.execute()).map((r) => ({
    id: r.id,
    siteId: r.site_id,
    date: r.date,
    title: r.title,
    note: r.note,
    source: 'manual',
    serviceId: null,
    createdAt: r.created_at.toISOString(),
  }));

  let automatic: Annotation[] = [];
  if (!siteIds || siteIds.length > 0) {
    let services = tx
      .selectFrom('services')
      .select(['id', 'site_id', 'name', 'billing', 'start_date', 'end_date'])
      .where('tenant_id', '=', tenantId);
    if (siteIds) services = services.where('site_id', 'in', siteIds);
    // A service whose dates both fall outside the range marks nothing in it.
    if (from) {
      services = services.where((eb) =>
        eb.or([eb('start_date', '>=', from), eb('end_date', '>=', from)]),
      );
    }
    if (to) services = services.where('start_date', '<=', to);
    automatic = (await services.execute())
      .flatMap(annotationsOfService)
      .filter(
        (a) =>
          (!from || a.date >= from) &&
          (!to || a.date <= to) &&
          (!after || a.date > after.date || (a.date === after.date && a.id > after.id)),
      );
  }
  const merged = [...manual, ...automatic].sort(byDateThenId);
  return limit === undefined ? merged : merged.slice(0, limit);
}

/**
 * The site ids a reader's list covers: the ones asked for (each must be visible, else 404), or
 * every site for staff (null) and the granted ones for a client.
 */
async function readableSiteIds(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  asked: string[] | undefined,
): Promise<string[] | null> {
  if (asked && asked.length > 0) {
    const unique = [...new Set(asked)];
    await assertVisibleSites(tx, tenantId, viewer, unique);
    return unique;
  }
  return grantedSiteIds(tx, tenantId, viewer);
}

/** One page of the annotations a viewer may read (list conventions), ordered by date then id. */
export async function listAnnotationsPage(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  query: { siteId?: string[]; from?: string; to?: string; limit: number; cursor?: string },
): Promise<{ data: Annotation[]; nextCursor: string | null }> {
  const siteIds = await readableSiteIds(tx, tenantId, viewer, query.siteId);
  const after = query.cursor
    ? (([date, id]) => ({ date, id }))(decodeCursor(query.cursor, ['date', 'uuid'] as const))
    : undefined;
  const rows = await listAnnotations(tx, tenantId, {
    siteIds,
    from: query.from,
    to: query.to,
    after,
    limit: query.limit + 1,
  });
  const data = rows.slice(0, query.limit);
  const last = data.at(-1);
  return {
    data,
    nextCursor: rows.length > query.limit && last ? encodeCursor([last.date, last.id]) : null,
  };
}

/** Records a manual annotation, on a site the viewer may see or workspace-wide. */
export async function createAnnotation(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  input: CreateAnnotationBody,
): Promise<Annotation> {
  if (input.siteId) await getVisibleSite(tx, tenantId, viewer, input.siteId);
  const row = await tx
    .insertInto('annotations')
    .values({
      tenant_id: tenantId,
      id: newId(),
      site_id: input.siteId ?? null,
      date: input.date,
      title: input.title,
      note: input.note || null,
      created_by: viewer.userId,
      created_at: new Date(),
    })
    .returning(['id', 'site_id', 'date', 'title', 'note', 'created_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    siteId: row.site_id,
    date: row.date,
    title: row.title,
    note: row.note,
    source: 'manual',
    serviceId: null,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Deletes a manual annotation. An automatic one is a 409 naming its service (change the service
 * instead); an unknown id, or another tenant's, is a 404.
 */
export async function deleteAnnotation(
  tx: Tx,
  tenantId: string,
  id: string,
): Promise<{ id: string; siteId: string | null; date: string; title: string }> {
  const row = await tx
    .deleteFrom('annotations')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning(['id', 'site_id', 'date', 'title'])
    .executeTakeFirst();
  if (row) return { id: row.id, siteId: row.site_id, date: row.date, title: row.title };
  const services = await tx
    .selectFrom('services')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const owner = services.find((s) =>
    (['start', 'end', 'job'] as const).some((k) => serviceAnnotationId(s.id, k) === id),
  );
  if (owner) {
    throw new AppError(
      'conflict',
      `This annotation comes from the service "${owner.name}" (${owner.id}); change or delete the service instead`,
    );
  }
  throw notFound('Annotation');
}
