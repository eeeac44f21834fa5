import { createHash } from 'node:crypto';
import type { RoiReport } from '../../../shared/schemas/roi.ts';
import type { Cache } from '../../infra/cache.ts';

/** Cached reports live this long at most; any change to the tenant's data drops them sooner. */
export const REPORT_CACHE_TTL_SECONDS = 600;

/** One namespace per tenant, so a change drops that tenant's reports (in every process) at once. */
export const reportCacheNamespace = (tenantId: string) => `report:${tenantId}`;

/**
 * The cache key of a report: the normalized query (resolved dates, grouping, comparison, sorted
 * site ids), what the viewer may see (`staff` or a client's granted sites), and the currency.
 * Everything else that changes the answer (metrics, services, sites and their attribution)
 * invalidates the tenant's namespace when it changes.
 */
export function reportCacheKey(parts: {
  from: string;
  to: string;
  groupBy: string;
  compare: string;
  siteIds: string[] | undefined;
  granted: string[] | null;
  currency: string;
}): string {
  const sites =
    parts.siteIds && parts.siteIds.length > 0 ? [...new Set(parts.siteIds)].sort().join(',') : '*';
  const scope = parts.granted ? `client:${parts.granted.join(',')}` : 'staff';
  // `roi3`: the report with value, coverage and comparison (`roi2` had none of them).
  return `roi3|${parts.from}|${parts.to}|${parts.groupBy}|${parts.compare}|${sites}|${scope}|${parts.currency}`;
}

/** Drops every cached report of the tenant, in every process (run after the change commits). */
export async function invalidateReports(
  cache: Pick<Cache, 'invalidate'>,
  tenantId: string,
): Promise<void> {
  await cache.invalidate(reportCacheNamespace(tenantId));
}

/** A report as it is cached and sent: its JSON text and that text's ETag. */
export interface SerializedReport {
  json: string;
  etag: string;
}

/** Serializes a report once, so that cache hits send the stored bytes as they are. */
export function serializeReport(report: RoiReport): SerializedReport {
  const json = JSON.stringify(report);
  const etag = `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"`;
  return { json, etag };
}
