import type { Tx } from '../../data/database.ts';
import { decodeCursor, paginate } from '../../lib/cursor.ts';
import { getVisibleSite } from '../sites/sites.ts';
import type { Viewer } from '../sites/viewer.ts';

/** A site's stored daily metrics in a date range, oldest first, in cursor pages. */
export async function listDailyMetrics(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
  query: { from?: string; to?: string; limit: number; cursor?: string },
) {
  await getVisibleSite(tx, tenantId, viewer, siteId);
  let q = tx
    .selectFrom('metrics_daily')
    .select(['day', 'sessions', 'conversions', 'revenue', 'clicks', 'impressions', 'position'])
    .where('tenant_id', '=', tenantId)
    .where('site_id', '=', siteId)
    .orderBy('day')
    .limit(query.limit + 1);
  if (query.from) q = q.where('day', '>=', query.from);
  if (query.to) q = q.where('day', '<=', query.to);
  if (query.cursor) q = q.where('day', '>', decodeCursor(query.cursor, ['date'])[0]);
  const rows = await q.execute();
  const page = paginate(rows, query.limit, (r) => [r.day]);
  return {
    data: page.data.map((r) => ({
      date: r.day,
      sessions: r.sessions,
      conversions: r.conversions,
      revenue: r.revenue,
      clicks: r.clicks,
      impressions: r.impressions,
      position: r.position === null ? null : Number(r.position),
    })),
    nextCursor: page.nextCursor,
  };
}
