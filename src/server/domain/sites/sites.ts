import type { Tx } from '../../data/database.ts';
import type { SitesTable } from '../../data/schema.ts';
import { notFound } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import type { Site, UpdateSiteAttribution } from '../../../shared/schemas/roi.ts';
import { assertWithinPlanLimit } from '../billing/plans.ts';
import { presentAttribution, refreshSiteValues, type AttributionRow } from './attribution.ts';
import { grantedSiteIds, type Viewer } from './viewer.ts';

type SiteRow = Pick<SitesTable, 'id' | 'name' | 'domain' | 'client_name'> &
  AttributionRow & {
    created_at: Date;
    updated_at: Date;
  };

const COLUMNS = [
  'id',
  'name',
  'domain',
  'client_name',
  'revenue_share',
  'conversion_value',
  'gross_margin',
  'baseline_from',
  'baseline_to',
  'created_at',
  'updated_at',
] as const;

/** The API shape of a site. */
export const presentSite = (s: SiteRow): Site => ({
  id: s.id,
  name: s.name,
  domain: s.domain,
  clientName: s.client_name,
  attribution: presentAttribution(s),
  createdAt: s.created_at.toISOString(),
  updatedAt: s.updated_at.toISOString(),
});

/** The error for a site that does not exist, belongs to another tenant or is not granted: all alike. */
export const siteNotFound = () => notFound('Site');

/** Creates a site within the plan's site limit (402 beyond). */
export async function createSite(
  tx: Tx,
  tenantId: string,
  input: { name: string; domain: string; clientName?: string | null },
): Promise<Site> {
  await assertWithinPlanLimit(tx, tenantId, 'sites');
  const now = new Date();
  const row = await tx
    .insertInto('sites')
    .values({
      tenant_id: tenantId,
      id: newId(),
      name: input.name,
      domain: input.domain,
      client_name: input.clientName ?? null,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return presentSite(row);
}

/** The sites the viewer may see, oldest first, in cursor pages. */
export async function listSites(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  page: { limit: number; cursor?: string },
): Promise<{ data: Site[]; nextCursor: string | null }> {
  const granted = await grantedSiteIds(tx, tenantId, viewer);
  if (granted && granted.length === 0) return { data: [], nextCursor: null };
  let q = tx
    .selectFrom('sites')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit + 1);
  if (granted) q = q.where('id', 'in', granted);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'asc'));
  const rows = await q.execute();
  const result = paginate(rows, page.limit, (r) => [r.created_at.toISOString(), r.id]);
  return { data: result.data.map(presentSite), nextCursor: result.nextCursor };
}

/**
 * A site the viewer may see, or the 404 of a site that does not exist. `lock` takes a row lock
 * that serializes metric imports of the site (their rollups must not race).
 */
export async function getVisibleSite(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
  lock = false,
): Promise<Site> {
  const granted = await grantedSiteIds(tx, tenantId, viewer);
  if (granted && !granted.includes(siteId)) throw siteNotFound();
  let q = tx
    .selectFrom('sites')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', siteId);
  if (lock) q = q.forNoKeyUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw siteNotFound();
  return presentSite(row);
}

/** Checks that every id names a site the viewer may see (404 otherwise). */
export async function assertVisibleSites(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteIds: string[],
): Promise<void> {
  const unique = [...new Set(siteIds)];
  if (unique.length === 0) return;
  const granted = await grantedSiteIds(tx, tenantId, viewer);
  if (granted && unique.some((id) => !granted.includes(id))) throw siteNotFound();
  const rows = await tx
    .selectFrom('sites')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', unique)
    .execute();
  if (rows.length !== unique.length) throw siteNotFound();
}

/**
 * Changes a site's name, domain, client name or attribution (the attribution fields named replace
 * the stored ones); returns it before and after. An attribution change recomputes the baseline's
 * sum and the credited value of every monthly rollup of the site, under the site's row lock that
 * imports also take.
 */
export async function updateSite(
  tx: Tx,
  tenantId: string,
  siteId: string,
  patch: {
    name?: string;
    domain?: string;
    clientName?: string | null;
    attribution?: UpdateSiteAttribution;
  },
): Promise<{ before: Site; after: Site }> {
  const beforeRow = await tx
    .selectFrom('sites')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', siteId)
    .forUpdate()
    .executeTakeFirst();
  if (!beforeRow) throw siteNotFound();
  const before = presentSite(beforeRow);
  const a = patch.attribution;
  const attribution = a ? { ...before.attribution, ...a } : null;
  const attributionChanged =
    attribution !== null && JSON.stringify(attribution) !== JSON.stringify(before.attribution);
  const row = await tx
    .updateTable('sites')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.domain !== undefined ? { domain: patch.domain } : {}),
      ...(patch.clientName !== undefined ? { client_name: patch.clientName } : {}),
      ...(attribution && attributionChanged
        ? {
            revenue_share: attribution.revenueShare,
            conversion_value: attribution.conversionValue,
            gross_margin: attribution.grossMargin,
            baseline_from: attribution.baseline?.from ?? null,
            baseline_to: attribution.baseline?.to ?? null,
          }
        : {}),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', siteId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  if (attributionChanged) await refreshSiteValues(tx, tenantId, siteId);
  return { before, after: presentSite(row) };
}

/**
 * Deletes a site with its services, time entries, metrics and client grants. The site row is
 * locked first, so an import of the site either committed before (its daily rows and rollups are
 * deleted here) or waits and then finds no site; metrics_daily and metrics_monthly have no
 * foreign key to cascade for us.
 */
export async function deleteSite(tx: Tx, tenantId: string, siteId: string): Promise<Site> {
  const locked = await tx
    .selectFrom('sites')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', siteId)
    .forUpdate()
    .executeTakeFirst();
  if (!locked) throw siteNotFound();
  for (const table of [
    'metrics_daily',
    'metrics_monthly',
    'search_terms_daily',
    'search_terms_monthly',
    'search_term_keys',
  ] as const) {
    await tx
      .deleteFrom(table)
      .where('tenant_id', '=', tenantId)
      .where('site_id', '=', siteId)
      .execute();
  }
  const row = await tx
    .deleteFrom('sites')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', siteId)
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) throw siteNotFound();
  return presentSite(row);
}
