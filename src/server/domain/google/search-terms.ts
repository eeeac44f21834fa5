import { sql } from 'kysely';
import { arrayLiteral } from '../../data/array-literal.ts';
import type { Tx } from '../../data/database.ts';
import type { SearchTerm } from '../../../shared/schemas/integrations.ts';
import { addDays, monthStart, nextMonthStart, todayIn } from '../reports/periods.ts';
import { getVisibleSite } from '../sites/sites.ts';
import type { Viewer } from '../sites/viewer.ts';

/** Stored dimension codes (smallint): the two Search Console breakdowns we keep. */
export const DIMENSIONS = { query: 1, page: 2 } as const;
export type SearchDimension = keyof typeof DIMENSIONS;

/** Search term rows of one dimension, column by column (bound as one array literal each). */
export interface SearchTermColumns {
  days: string[];
  keys: string[];
  clicks: number[];
  impressions: number[];
  positions: number[];
}

export const emptyTermColumns = (): SearchTermColumns => ({
  days: [],
  keys: [],
  clicks: [],
  impressions: [],
  positions: [],
});

/**
 * A key's id: the first 64 bits of its MD5, computed by the database as it inserts, so rows are
 * written without a round trip to learn ids. Two keys of one site colliding is about 1 in 10^8
 * at a million keys; the dictionary keeps the first.
 */
const keyId = (column: ReturnType<typeof sql>) =>
  sql`('x' || left(md5(${column}), 16))::bit(64)::bigint`;

/**
 * Replaces the search terms of one dimension for the days [from, to] with `rows` (rows of other
 * days are not touched) and recomputes the monthly rollups of the months those days fall in.
 * Idempotent: writing the same days again leaves the same rows, so a resumed sync doubles nothing.
 * Runs in the sync's chunk transaction.
 */
export async function replaceSearchTerms(
  tx: Tx,
  tenantId: string,
  siteId: string,
  dimension: SearchDimension,
  range: { from: string; to: string },
  rows: SearchTermColumns,
): Promise<void> {
  const dim = DIMENSIONS[dimension];
  await sql`
    DELETE FROM search_terms_daily
    WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND dimension = ${dim}
      AND day BETWEEN ${range.from}::date AND ${range.to}::date`.execute(tx);
  if (rows.days.length > 0) {
    const keys = arrayLiteral(rows.keys);
    await sql`
      INSERT INTO search_term_keys (tenant_id, site_id, dimension, id, key)
      SELECT ${tenantId}::uuid, ${siteId}::uuid, ${dim}::smallint, ${keyId(sql.ref('k'))}, k
      FROM (SELECT DISTINCT k FROM unnest(${keys}::text::text[]) AS u(k)) d
      ON CONFLICT DO NOTHING`.execute(tx);
    await sql`
      INSERT INTO search_terms_daily
        (tenant_id, site_id, dimension, day, key_id, clicks, impressions, position_sum)
      SELECT ${tenantId}::uuid, ${siteId}::uuid, ${dim}::smallint, u.day, ${keyId(sql.ref('u.k'))},
             u.clicks, u.impressions, u.position * u.impressions
      FROM unnest(${arrayLiteral(rows.days)}::text::date[], ${keys}::text::text[],
                  ${arrayLiteral(rows.clicks)}::text::integer[],
                  ${arrayLiteral(rows.impressions)}::text::integer[],
                  ${arrayLiteral(rows.positions)}::text::double precision[])
           AS u(day, k, clicks, impressions, position)`.execute(tx);
  }
  const first = monthStart(range.from);
  const end = nextMonthStart(range.to);
  await sql`
    DELETE FROM search_terms_monthly
    WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND dimension = ${dim}
      AND month >= ${first}::date AND month < ${end}::date`.execute(tx);
  await sql`
    INSERT INTO search_terms_monthly
      (tenant_id, site_id, dimension, month, key_id, clicks, impressions, position_sum)
    SELECT tenant_id, site_id, dimension, date_trunc('month', day::timestamp)::date, key_id,
           sum(clicks), sum(impressions), sum(position_sum)
    FROM search_terms_daily
    WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND dimension = ${dim}
      AND day >= ${first}::date AND day < ${end}::date
    GROUP BY 1, 2, 3, 4, 5`.execute(tx);
}

/** The default period of the search terms: the 28 days ending yesterday in the workspace's zone. */
export function defaultSearchTermsRange(timeZone: string, now = new Date()) {
  const yesterday = addDays(todayIn(timeZone, now), -1);
  return { from: addDays(yesterday, -27), to: yesterday };
}

/**
 * The range as whole months (read from the rollups) and the days at either edge (read from the
 * day rows): a 16-month range reads about 16 rows per key instead of 480.
 */
function splitRange(from: string, to: string) {
  const firstFull = from.endsWith('-01') ? from : nextMonthStart(from);
  const endFull = monthStart(addDays(to, 1)) === addDays(to, 1) ? addDays(to, 1) : monthStart(to);
  if (firstFull >= endFull) return { months: null, days: [[from, to]] as [string, string][] };
  const days: [string, string][] = [];
  if (from < firstFull) days.push([from, addDays(firstFull, -1)]);
  if (endFull <= to) days.push([endFull, to]);
  return { months: [firstFull, endFull] as [string, string], days };
}

/**
 * The top search terms of a site for [from, to]: clicks, impressions, CTR and the
 * impressions-weighted position, ordered by clicks, then impressions, then key.
 */
export async function listSearchTerms(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
  query: { from: string; to: string; dimension: SearchDimension; limit: number },
): Promise<SearchTerm[]> {
  await getVisibleSite(tx, tenantId, viewer, siteId);
  const dim = DIMENSIONS[query.dimension];
  const { months, days } = splitRange(query.from, query.to);
  const parts = [];
  if (months) {
    parts.push(sql`
      SELECT key_id, clicks, impressions, position_sum FROM search_terms_monthly
      WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND dimension = ${dim}
        AND month >= ${months[0]}::date AND month < ${months[1]}::date`);
  }
  for (const [a, b] of days) {
    parts.push(sql`
      SELECT key_id, clicks::bigint, impressions::bigint, position_sum FROM search_terms_daily
      WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND dimension = ${dim}
        AND day BETWEEN ${a}::date AND ${b}::date`);
  }
  // Its cost estimate can pass jit_above_cost, and compiling would cost more than the query.
  await sql`SET LOCAL jit = off`.execute(tx);
  const rows = await sql<{
    key: string;
    clicks: string;
    impressions: string;
    position_sum: number;
  }>`
    WITH t AS (${sql.join(parts, sql` UNION ALL `)}),
    a AS (
      SELECT key_id, sum(clicks) AS clicks, sum(impressions) AS impressions,
             sum(position_sum) AS position_sum
      FROM t GROUP BY key_id
    )
    SELECT k.key, a.clicks, a.impressions, a.position_sum
    FROM a JOIN search_term_keys k
      ON k.tenant_id = ${tenantId} AND k.site_id = ${siteId} AND k.dimension = ${dim} AND k.id = a.key_id
    ORDER BY a.clicks DESC, a.impressions DESC, k.key ASC
    LIMIT ${query.limit}`.execute(tx);
  return rows.rows.map((r) => {
    const clicks = Number(r.clicks);
    const impressions = Number(r.impressions);
    return {
      key: r.key,
      clicks,
      impressions,
      ctr: impressions > 0 ? Math.round((clicks / impressions) * 10_000) / 10_000 : 0,
      position:
        impressions > 0 ? Math.round((Number(r.position_sum) / impressions) * 100) / 100 : null,
    };
  });
}
