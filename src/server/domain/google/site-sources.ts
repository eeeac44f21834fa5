import type { Selectable } from 'kysely';
import type { Tx } from '../../data/database.ts';
import type { SiteSourcesTable, SiteSyncsTable } from '../../data/schema.ts';
import { AppError, conflict, notFound } from '../../errors.ts';
import type {
  PutSiteSourcesBody,
  SiteSources,
  SyncState,
} from '../../../shared/schemas/integrations.ts';
import { addDays, daysBetween, todayIn } from '../reports/periods.ts';
import { getVisibleSite } from '../sites/sites.ts';
import type { Viewer } from '../sites/viewer.ts';

type SourcesRow = Selectable<SiteSourcesTable>;

function presentSources(row: SourcesRow): SiteSources {
  return {
    siteId: row.site_id,
    integrationId: row.connection_id,
    searchConsoleProperty: row.search_console_property,
    analyticsPropertyId: row.analytics_property_id,
    organicOnly: row.organic_only,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const noSources = () => notFound('Sources');

/** The connection a sources body names, or a 400 naming the field (another tenant's is unknown). */
export async function connectionForSources(
  tx: Tx,
  tenantId: string,
  integrationId: string,
): Promise<{ id: string; status: 'active' | 'broken' }> {
  const row = await tx
    .selectFrom('google_connections')
    .select(['id', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', integrationId)
    .executeTakeFirst();
  if (!row) {
    throw new AppError('validation', 'No such Google connection in this workspace', {
      errors: [{ path: 'integrationId', message: 'no such connection' }],
    });
  }
  return row;
}

/**
 * Links a site to its properties (replacing an earlier link). `analyticsCurrency` is the GA4
 * property's currency as Google gave it (read before the transaction): a property whose currency
 * is not the workspace's is refused, since amounts are never converted or relabelled.
 */
export async function putSiteSources(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
  body: PutSiteSourcesBody,
  analyticsCurrency: string | null,
  tenantCurrency: string,
): Promise<{ sources: SiteSources; before: SiteSources | null }> {
  await getVisibleSite(tx, tenantId, viewer, siteId);
  await connectionForSources(tx, tenantId, body.integrationId);
  if (body.analyticsPropertyId && analyticsCurrency && analyticsCurrency !== tenantCurrency) {
    throw conflict(
      `GA4 property ${body.analyticsPropertyId} reports in ${analyticsCurrency}, this workspace in ${tenantCurrency}: amounts are never converted or relabelled`,
    );
  }
  const before = await tx
    .selectFrom('site_sources')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .forUpdate()
    .executeTakeFirst();
  const values = {
    connection_id: body.integrationId,
    search_console_property: body.searchConsoleProperty ?? null,
    analytics_property_id: body.analyticsPropertyId ?? null,
    organic_only: body.organicOnly,
  };
  const row = await tx
    .insertInto('site_sources')
    .values({ tenant_id: tenantId, site_id: siteId, ...values })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'site_id']).doUpdateSet({ ...values, updated_at: new Date() }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return { sources: presentSources(row), before: before ? presentSources(before) : null };
}

/** A site's linked properties (404 when it has none). */
export async function getSiteSources(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
): Promise<SiteSources> {
  await getVisibleSite(tx, tenantId, viewer, siteId);
  const row = await tx
    .selectFrom('site_sources')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .executeTakeFirst();
  if (!row) throw noSources();
  return presentSources(row);
}

/** Unlinks a site (its stored metrics stay); a sync under way ends. */
export async function deleteSiteSources(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
): Promise<SiteSources> {
  await getVisibleSite(tx, tenantId, viewer, siteId);
  const row = await tx
    .deleteFrom('site_sources')
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw noSources();
  await tx
    .updateTable('site_syncs')
    .set({ status: 'idle', lease_owner: null, lease_until: null, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
  return presentSources(row);
}

/** The default backfill: from the first day of the month 16 months ago to yesterday. */
export function defaultBackfillRange(
  timeZone: string,
  now = new Date(),
): { from: string; to: string } {
  const today = todayIn(timeZone, now);
  const y = Number(today.slice(0, 4));
  const m = Number(today.slice(5, 7)) - 16;
  const year = y + Math.floor((m - 1) / 12);
  const month = ((((m - 1) % 12) + 12) % 12) + 1;
  return { from: `${year}-${String(month).padStart(2, '0')}-01`, to: addDays(today, -1) };
}

/**
 * Queues a sync of [from, to] for a linked site: the range and progress are stored, a sync of
 * the site under way gives up its lease (its next write is refused) and the new one starts from
 * `from`. 409 without sources or while the connection is broken.
 */
export async function requestSiteSync(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
  range: { from: string; to: string },
): Promise<SyncState> {
  await getVisibleSite(tx, tenantId, viewer, siteId);
  const source = await tx
    .selectFrom('site_sources as s')
    .innerJoin('google_connections as c', (j) =>
      j.onRef('c.tenant_id', '=', 's.tenant_id').onRef('c.id', '=', 's.connection_id'),
    )
    .select(['c.status', 'c.account', 'c.last_error'])
    .where('s.tenant_id', '=', tenantId)
    .where('s.site_id', '=', siteId)
    .executeTakeFirst();
  if (!source) throw conflict('This site is not linked to Google yet: PUT its sources first');
  if (source.status !== 'active') {
    throw conflict(
      `The Google connection ${source.account} is broken (${source.last_error ?? 'access revoked'}); reconnect it first`,
    );
  }
  return queueSync(tx, tenantId, siteId, range);
}

/** Stores a queued sync of [from, to] for a site (creating its sync row on first use). */
export async function queueSync(
  tx: Tx,
  tenantId: string,
  siteId: string,
  range: { from: string; to: string },
): Promise<SyncState> {
  const total = daysBetween(range.from, range.to) + 1;
  const values = {
    status: 'queued' as const,
    range_from: range.from,
    range_to: range.to,
    next_day: range.from,
    done: 0,
    total,
    last_error: null,
    lease_owner: null,
    lease_until: null,
    requested_at: new Date(),
    updated_at: new Date(),
  };
  const row = await tx
    .insertInto('site_syncs')
    .values({ tenant_id: tenantId, site_id: siteId, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'site_id']).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  return presentSyncState(row);
}

/** What `GET /sites/:id/sync` shows of a sync row (idle and empty before the first). */
export function presentSyncState(row: Selectable<SiteSyncsTable> | undefined): SyncState {
  if (!row) {
    return {
      status: 'idle',
      progress: { done: 0, total: 0 },
      lastSyncedAt: null,
      syncedThrough: null,
      lastError: null,
    };
  }
  return {
    status: row.status,
    progress: { done: row.done, total: row.total },
    lastSyncedAt: row.last_synced_at?.toISOString() ?? null,
    syncedThrough: row.synced_through,
    lastError: row.last_error,
  };
}

/** A site's sync state. */
export async function getSyncState(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
): Promise<SyncState> {
  await getVisibleSite(tx, tenantId, viewer, siteId);
  const row = await tx
    .selectFrom('site_syncs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .executeTakeFirst();
  return presentSyncState(row);
}
