import { createHash } from 'node:crypto';
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
 * A key's id: the first 64 bits of its MD5 as a signed bigint, the same as SQL's
 * `('x' || left(md5(key), 16))::bit(64)::bigint`. Computed here, once per distinct key of a
 * chunk, so the day rows carry ids and the database hashes nothing per row. Two keys of one site
 * colliding is about 1 in 10^8 at a million keys; the dictionary keeps the first.
 */
export function searchTermKeyId(key: string): string {
  const hex = createHash('md5').update(key, 'utf8').digest('hex').slice(0, 16);
  return BigInt.asIntN(64, BigInt(`0x${hex}`)).toString();
}

/** The chunk's distinct keys with their ids, and each row's key id (decimal text). */
function keyIdsOf(keys: readonly string[]) {
  const dictionary = new Map<string, string>();
  const ids = new Array<string>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    let id = dictionary.get(key);
    if (id === undefined) dictionary.set(key, (id = searchTermKeyId(key)));
    ids[i] = id;
  }
  return { dictionary, ids };
}

/** Decimal integers as an array literal: digits and a sign need no quoting. */
const integerLiteral = (values: readonly string[]) => `{${values.join(',')}}`;

/**
 * Replaces the search terms of one dimension for the days [from, to] with `rows` (rows of other
 * days are not touched) and recomputes the monthly rollups of the months those days fall in.
 * Idempotent: writing the same days again leaves the same rows, so a resumed sync doubles nothing.
 * Runs in the sync's chunk transaction.
 *
 * Per chunk (a calendar month of a backfill: about 45,000 rows at 1,500 terms a day) this is one
 * DELETE of the days, one INSERT of the distinct keys into the dictionary and one INSERT … SELECT
 * FROM unnest of the rows bound as one array literal per column, sorted by the primary key so the
 * index grows at its right edge. When the range is whole months (every chunk of a backfill but
 * its edges) the same statement adds the rows' sums as those months' rollups; otherwise the
 * touched months are recomputed from the day rows.
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
  const first = monthStart(range.from);
  const end = nextMonthStart(range.to);
  const wholeMonths = range.from === first && addDays(range.to, 1) === end;
  await sql`
    DELETE FROM search_terms_daily
    WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND dimension = ${dim}
      AND day BETWEEN ${range.from}::date AND ${range.to}::date`.execute(tx);
  await sql`
    DELETE FROM search_terms_monthly
    WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND dimension = ${dim}
      AND month >= ${first}::date AND month < ${end}::date`.execute(tx);
  if (rows.days.length > 0) {
    const { dictionary, ids } = keyIdsOf(rows.keys);
    await sql`
      INSERT INTO search_term_keys (tenant_id, site_id, dimension, id, key)
      SELECT ${tenantId}::uuid, ${siteId}::uuid, ${dim}::smallint, d.id, d.key
      FROM unnest(${integerLiteral([...dictionary.values()])}::text::bigint[],
                  ${arrayLiteral([...dictionary.keys()])}::text::text[]) AS d(id, key)
      ON CONFLICT DO NOTHING`.execute(tx);
    const input = sql`
      SELECT u.day, u.key_id, u.clicks, u.impressions, u.position * u.impressions AS position_sum
      FROM unnest(${arrayLiteral(rows.days)}::text::date[], ${integerLiteral(ids)}::text::bigint[],
                  ${arrayLiteral(rows.clicks)}::text::integer[],
                  ${arrayLiteral(rows.impressions)}::text::integer[],
                  ${arrayLiteral(rows.positions)}::text::double precision[])
           AS u(day, key_id, clicks, impressions, position)`;
    const insertDays = sql`
      INSERT INTO search_terms_daily
        (tenant_id, site_id, dimension, day, key_id, clicks, impressions, position_sum)
      SELECT ${tenantId}::uuid, ${siteId}::uuid, ${dim}::smallint, day, key_id, clicks,
             impressions, position_sum
      FROM u ORDER BY day, key_id`;
    if (wholeMonths) {
      await sql`
        WITH u AS MATERIALIZED (${input}), d AS (${insertDays})
        INSERT INTO search_terms_monthly
          (tenant_id, site_id, dimension, month, key_id, clicks, impressions, position_sum)
        SELECT ${tenantId}::uuid, ${siteId}::uuid, ${dim}::smallint,
               date_trunc('month', day::timestamp)::date, key_id,
               sum(clicks), sum(impressions), sum(position_sum)
        FROM u GROUP BY 4, 5`.execute(tx);
      return;
    }
    await sql`WITH u AS (${input}) ${insertDays}`.execute(tx);
  }
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
