import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { invalid } from '../../errors.ts';
import type { GroupBy, RoiFigures, RoiReport, RoiSeriesItem } from '../../../shared/schemas/roi.ts';
import { attributionTerms, creditedValue } from '../sites/attribution.ts';
import { siteNotFound } from '../sites/sites.ts';
import {
  addDays,
  daysBetween,
  monthStart,
  nextMonthStart,
  periodsBetween,
  todayIn,
  type Period,
} from './periods.ts';

/** The longest range a report covers (about ten years). */
export const MAX_REPORT_DAYS = 3660;

export interface ReportRange {
  from: string;
  to: string;
}

/** from/to as given, else the last 365 days ending today in the tenant's time zone; checked. */
export function resolveReportRange(
  query: { from?: string; to?: string },
  timeZone: string,
): ReportRange {
  const to = query.to ?? todayIn(timeZone);
  const from = query.from ?? addDays(to, -364);
  if (from > to) throw invalid([{ path: 'query.from', message: 'must not be after to' }]);
  if (daysBetween(from, to) >= MAX_REPORT_DAYS) {
    throw invalid([
      { path: 'query.from', message: `a report covers at most ${MAX_REPORT_DAYS} days` },
    ]);
  }
  return { from, to };
}

/**
 * The sites a report covers, with names (for groupBy=site), checked against what the viewer may
 * see; null when it covers every site of the tenant and needs no names (nothing to read here).
 */
export async function reportSites(
  tx: Tx,
  tenantId: string,
  granted: string[] | null,
  requested: string[] | undefined,
  groupBy: GroupBy,
): Promise<{ id: string; name: string }[] | null> {
  const wanted = requested && requested.length > 0 ? [...new Set(requested)] : null;
  if (!wanted && !granted && groupBy !== 'site') return null;
  if (wanted && granted && wanted.some((id) => !granted.includes(id))) throw siteNotFound();
  const ids = wanted ?? granted;
  if (ids && ids.length === 0) return [];
  let q = tx
    .selectFrom('sites')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .orderBy('id');
  if (ids) q = q.where('id', 'in', ids);
  const rows = await q.execute();
  if (wanted && rows.length !== wanted.length) throw siteNotFound();
  return rows;
}

/**
 * The sites a client-facing report (a PDF) covers, with names and domains: the requested ones
 * (each visible to the reader, else 404), else every site the reader may see.
 */
export async function listReportSites(
  tx: Tx,
  tenantId: string,
  granted: string[] | null,
  requested: string[] | undefined,
): Promise<{ id: string; name: string; domain: string }[]> {
  const wanted = requested && requested.length > 0 ? [...new Set(requested)] : null;
  if (wanted && granted && wanted.some((id) => !granted.includes(id))) throw siteNotFound();
  const ids = wanted ?? granted;
  if (ids && ids.length === 0) return [];
  let q = tx
    .selectFrom('sites')
    .select(['id', 'name', 'domain'])
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .orderBy('id');
  if (ids) q = q.where('id', 'in', ids);
  const rows = await q.execute();
  if (wanted && rows.length !== wanted.length) throw siteNotFound();
  return rows;
}

/** Sums of one report bucket, as they come from SQL. */
interface Sums {
  revenue: number;
  value: number;
  cost: number;
  sessions: number;
  conversions: number;
  clicks: number;
  impressions: number;
  positionWeighted: number;
  positionImpressions: number;
}

const zeroSums = (): Sums => ({
  revenue: 0,
  value: 0,
  cost: 0,
  sessions: 0,
  conversions: 0,
  clicks: 0,
  impressions: 0,
  positionWeighted: 0,
  positionImpressions: 0,
});

/**
 * profit, roi and the weighted position from a bucket's sums (the contract's formulas): profit =
 * value − cost, roi = profit / cost (null when cost is 0).
 */
export function figuresOf(s: Sums): RoiFigures {
  return {
    revenue: s.revenue,
    value: s.value,
    cost: s.cost,
    profit: s.value - s.cost,
    roi: s.cost === 0 ? null : (s.value - s.cost) / s.cost,
    sessions: s.sessions,
    conversions: s.conversions,
    clicks: s.clicks,
    impressions: s.impressions,
    position:
      s.positionImpressions > 0
        ? Math.round((s.positionWeighted / s.positionImpressions) * 100) / 100
        : null,
  };
}

/**
 * One row of the report statement: the part it belongs to (0 the report, 1 its comparison), and a
 * bucket's metric sums, its cost, or (key `#coverage`) the days with data (the other fields 0).
 */
type SumsRow = Sums & { part: number; k: string; days: number };

/** A report's grouping, or `total`: one bucket for the whole range (a comparison's totals). */
type ReportGrouping = GroupBy | 'total';

/** The site ids a statement covers: the given ones, or every site of the tenant. */
type SiteSet = RawBuilder<string[]>;

/**
 * How rows fall into a grouping's buckets: the expression they are grouped by (a date truncated
 * to its week or month, or the site) and the bucket's key, formatted once per bucket, not per row.
 */
function bucketOf(groupBy: ReportGrouping, date: RawBuilder<unknown>) {
  const at = sql`${date}::timestamp`;
  switch (groupBy) {
    case 'day':
      return { group: at, key: sql<string>`to_char(${at}, 'YYYY-MM-DD')` };
    case 'week': {
      const week = sql`date_trunc('week', ${at})`;
      return { group: week, key: sql<string>`to_char(${week}, 'IYYY-"W"IW')` };
    }
    case 'month': {
      const month = sql`date_trunc('month', ${at})`;
      return { group: month, key: sql<string>`to_char(${month}, 'YYYY-MM')` };
    }
    case 'site':
      return { group: sql`site_id`, key: sql<string>`site_id::text` };
    case 'total':
      return { group: sql`()`, key: sql<string>`'total'` };
  }
}

/** The daily rows' sums, each multiplied by `sign` (−1: days to take off a month's rollup). */
const dailySums = (sign: number) => {
  const k = sql`${sign}::int`;
  return sql`${k} * coalesce(sum(revenue), 0) AS "revenue",
  ${k} * coalesce(sum(sessions), 0) AS "sessions", ${k} * coalesce(sum(conversions), 0) AS "conversions",
  ${k} * coalesce(sum(clicks), 0) AS "clicks", ${k} * coalesce(sum(impressions), 0) AS "impressions",
  ${k} * coalesce(sum(position * impressions), 0) AS "positionWeighted",
  ${k} * coalesce(sum(impressions) FILTER (WHERE position IS NOT NULL), 0) AS "positionImpressions",
  ${k} * coalesce(sum(${creditedValue('m', 'a')}), 0) AS "value"`;
};

const MONTHLY_SUMS = sql`sum(revenue) AS "revenue", sum(sessions) AS "sessions", sum(conversions) AS "conversions",
  sum(clicks) AS "clicks", sum(impressions) AS "impressions", sum(position_weighted) AS "positionWeighted",
  sum(position_impressions) AS "positionImpressions", sum(value) AS "value"`;

/** Days [from, to] (none when from > to) added (sign 1) or taken off (−1). */
interface DayEdge {
  from: string;
  to: string;
  sign: 1 | -1;
}

const NO_DAYS: DayEdge = { from: '9999-12-31', to: '0001-01-01', sign: 1 };

/**
 * How a month or site grouping reads [from, to]: the monthly rollups of [rollupFrom, rollupTo)
 * (none when equal), plus or minus the days of two edges. The whole months inside the range come
 * from rollups; a partial month at an edge from whichever is fewer days: the days inside the
 * range, or its rollup less the days outside. A range without a whole month reads its days.
 */
function readingPlan(range: ReportRange): {
  rollupFrom: string;
  rollupTo: string;
  edges: [DayEdge, DayEdge];
} {
  const fullStart = range.from === monthStart(range.from) ? range.from : nextMonthStart(range.from);
  const afterTo = addDays(range.to, 1);
  const fullEnd = afterTo === monthStart(afterTo) ? afterTo : monthStart(range.to); // exclusive
  if (fullStart >= fullEnd) {
    return {
      rollupFrom: fullStart,
      rollupTo: fullStart,
      edges: [{ from: range.from, to: range.to, sign: 1 }, NO_DAYS],
    };
  }
  let rollupFrom = fullStart;
  let rollupTo = fullEnd;
  let head = NO_DAYS;
  let tail = NO_DAYS;
  if (range.from < fullStart) {
    const first = monthStart(range.from);
    const outside = daysBetween(first, range.from); // the days before `from` in its month
    if (outside < daysBetween(range.from, fullStart)) {
      rollupFrom = first;
      if (outside > 0) head = { from: first, to: addDays(range.from, -1), sign: -1 };
    } else head = { from: range.from, to: addDays(fullStart, -1), sign: 1 };
  }
  if (fullEnd <= range.to) {
    const next = nextMonthStart(range.to);
    const outside = daysBetween(afterTo, next); // the days after `to` in its month
    if (outside < daysBetween(fullEnd, afterTo)) {
      rollupTo = next;
      tail = { from: afterTo, to: addDays(next, -1), sign: -1 };
    } else tail = { from: fullEnd, to: range.to, sign: 1 };
  }
  return { rollupFrom, rollupTo, edges: [head, tail] };
}

/**
 * Metric sums per bucket. Day and week groupings read the days; month and site groupings (and a
 * comparison's totals) the rollups and edge days of `readingPlan`. Every range of one grouping is
 * read by the same statement text, an edge without days included (it finds no row), so that
 * PostgreSQL keeps one generic plan for it instead of planning each shape of edges anew.
 * A one-year tenant-wide report so reads about sites × 13 months of rollups and at most half a
 * month of days per site at each edge, instead of sites × 365 days.
 */
function metricSums(
  tenantId: string,
  siteIds: SiteSet,
  range: ReportRange,
  groupBy: ReportGrouping,
) {
  // One index range scan per site (a lateral subquery that OFFSET 0 keeps from being flattened
  // into a join), whatever the planner's statistics say: otherwise, with statistics not yet
  // gathered after an import, the edges were planned as a scan of every day of the tenant.
  const dailyBucket = bucketOf(groupBy, sql`day`);
  const daily = ({ from, to, sign }: DayEdge) => sql`
    SELECT ${dailyBucket.key} AS k, ${dailySums(sign)}
    FROM unnest(${siteIds}) AS wanted(id)
    CROSS JOIN LATERAL (
      SELECT ${attributionTerms('s')} FROM sites s WHERE s.tenant_id = ${tenantId} AND s.id = wanted.id
    ) AS a
    CROSS JOIN LATERAL (
      SELECT site_id, day, sessions, conversions, revenue, clicks, impressions, position FROM metrics_daily
      WHERE tenant_id = ${tenantId} AND site_id = wanted.id AND day >= ${from}::date AND day <= ${to}::date
      OFFSET 0
    ) AS m
    GROUP BY ${dailyBucket.group}`;
  if (groupBy === 'day' || groupBy === 'week') return daily({ ...range, sign: 1 });

  const { rollupFrom, rollupTo, edges } = readingPlan(range);
  const monthlyBucket = bucketOf(groupBy, sql`month`);
  return sql`SELECT ${monthlyBucket.key} AS k, ${MONTHLY_SUMS} FROM metrics_monthly
        WHERE tenant_id = ${tenantId} AND site_id = ANY(${siteIds})
          AND month >= ${rollupFrom}::date AND month < ${rollupTo}::date
        GROUP BY ${monthlyBucket.group}
      UNION ALL ${daily(edges[0])}
      UNION ALL ${daily(edges[1])}`;
}

/**
 * Cost per bucket, accrued by day as the contract defines it. `monthly`: each calendar month's
 * `amount` is spread over its days (amount / days, the remainder cents one each to its first
 * days, so a whole month sums to exactly `amount`), on each day of [startDate, endDate] (open-ended:
 * up to the report's `to`) inside the range; `one_time` on its start date; `hourly` hours × rate on
 * each time entry's date, rounded per entry. Monthly services are cut into one segment per month
 * [a, b]: for month and site groupings a segment's cost is summed in closed form,
 * `(b − a + 1) × q + max(0, min(b, r) − a + 1)` with q, r the quotient and remainder of
 * amount ÷ days (days counted as day-of-month numbers), so a year costs 12 rows per service, not
 * 365; days and weeks expand segments into days.
 */
function costSums(tenantId: string, siteIds: SiteSet, range: ReportRange, groupBy: ReportGrouping) {
  const bucket = bucketOf(groupBy, sql`d`);
  const { from, to } = range;
  const perDay = groupBy === 'day' || groupBy === 'week';
  const monthly = perDay
    ? sql`SELECT seg.site_id, day::date AS d,
            (seg.q + CASE WHEN extract(day FROM day)::int <= seg.r THEN 1 ELSE 0 END)::numeric AS cost
          FROM segments seg CROSS JOIN LATERAL generate_series(seg.a::timestamp, seg.b::timestamp, interval '1 day') AS day`
    : sql`SELECT seg.site_id, seg.a AS d,
            ((seg.db - seg.da + 1) * seg.q + greatest(0, least(seg.db, seg.r) - seg.da + 1))::numeric AS cost
          FROM segments seg`;
  return sql`
    WITH segments AS (
      SELECT s.site_id, x.a, x.b, extract(day FROM x.a)::int AS da, extract(day FROM x.b)::int AS db,
             s.amount / x.n AS q, s.amount % x.n AS r
      FROM services s
      CROSS JOIN LATERAL generate_series(
        date_trunc('month', greatest(s.start_date, ${from}::date)::timestamp),
        least(s.end_date, ${to}::date)::timestamp,
        interval '1 month') AS m(month)
      CROSS JOIN LATERAL (SELECT
        greatest(s.start_date, ${from}::date, m.month::date) AS a,
        least(s.end_date, ${to}::date, (m.month + interval '1 month' - interval '1 day')::date) AS b,
        extract(day FROM m.month + interval '1 month' - interval '1 day')::int AS n) AS x
      WHERE s.tenant_id = ${tenantId} AND s.site_id = ANY(${siteIds}) AND s.billing = 'monthly'
        AND s.amount > 0 AND s.start_date <= ${to}::date AND (s.end_date IS NULL OR s.end_date >= ${from}::date)
    )
    SELECT ${bucket.key} AS k, sum(cost) AS cost FROM (
      SELECT s.site_id, s.start_date AS d, s.amount::numeric AS cost
      FROM services s
      WHERE s.tenant_id = ${tenantId} AND s.site_id = ANY(${siteIds}) AND s.billing = 'one_time'
        AND s.start_date >= ${from}::date AND s.start_date <= ${to}::date
      UNION ALL
      ${monthly}
      UNION ALL
      SELECT s.site_id, te.date AS d, round(te.hours * s.amount) AS cost
      FROM services s
      JOIN time_entries te ON te.tenant_id = s.tenant_id AND te.service_id = s.id
      WHERE s.tenant_id = ${tenantId} AND s.site_id = ANY(${siteIds}) AND s.billing = 'hourly'
        AND te.date >= ${from}::date AND te.date <= ${to}::date
    ) costs
    GROUP BY ${bucket.group}`;
}

/**
 * Days of [from, to] with a metric row for any of the sites, from the rollups' day masks: per
 * month, the masks of the sites OR-ed together, cut to the range at its edge months, and counted.
 */
function coverageOf(tenantId: string, siteIds: SiteSet, range: ReportRange) {
  const first = monthStart(range.from);
  const last = monthStart(range.to);
  const fromDay = Number(range.from.slice(8, 10));
  const toDay = Number(range.to.slice(8, 10));
  return sql`
    SELECT coalesce(sum(bit_count((x.m & (((1::bigint << x.hi) - 1) & ~((1::bigint << (x.lo - 1)) - 1)))::bit(32))), 0) AS days
    FROM (
      SELECT bit_or(days_mask)::bigint AS m,
             CASE WHEN month = ${first}::date THEN ${fromDay}::int ELSE 1 END AS lo,
             CASE WHEN month = ${last}::date THEN ${toDay}::int ELSE 31 END AS hi
      FROM metrics_monthly
      WHERE tenant_id = ${tenantId} AND site_id = ANY(${siteIds})
        AND month >= ${first}::date AND month <= ${last}::date
      GROUP BY month
    ) AS x`;
}

/** Which earlier period a report is compared with. */
export type Compare = 'previous' | 'year' | 'none';

/** The same date a year earlier; 29 February becomes 28 February. */
export function yearEarlier(date: string): string {
  const year = String(Number(date.slice(0, 4)) - 1).padStart(4, '0');
  const monthDay = date.slice(5) === '02-29' ? '02-28' : date.slice(5);
  return `${year}-${monthDay}`;
}

/**
 * The range a report is compared with: `previous`, as many days just before `from`; `year`, the
 * same dates a year earlier (29 February read as 28 February); null for `none`.
 */
export function comparisonRange(range: ReportRange, compare: Compare): ReportRange | null {
  if (compare === 'none') return null;
  if (compare === 'year') return { from: yearEarlier(range.from), to: yearEarlier(range.to) };
  const days = daysBetween(range.from, range.to) + 1;
  return { from: addDays(range.from, -days), to: addDays(range.from, -1) };
}

/** The statement's parts for one range: metric sums, costs and coverage, tagged with `part`. */
function partOf(
  part: number,
  tenantId: string,
  siteIds: SiteSet,
  range: ReportRange,
  groupBy: ReportGrouping,
) {
  const p = sql.lit(part);
  return sql`
    SELECT ${p} AS part, k, "revenue", "value", "sessions", "conversions", "clicks", "impressions",
           "positionWeighted", "positionImpressions", 0 AS cost, 0 AS days
    FROM (${metricSums(tenantId, siteIds, range, groupBy)}) AS metrics
    UNION ALL
    SELECT ${p}, k, 0, 0, 0, 0, 0, 0, 0, 0, cost, 0 FROM (${costSums(tenantId, siteIds, range, groupBy)}) AS costs
    UNION ALL
    SELECT ${p}, '#coverage', 0, 0, 0, 0, 0, 0, 0, 0, 0, days FROM (${coverageOf(tenantId, siteIds, range)}) AS coverage`;
}

/**
 * Builds the ROI report over the given sites (null: every site of the tenant) in one statement:
 * every period (or site) of the range appears, zero-filled, with totals over all of them, the
 * range's coverage, and the totals of the comparison range when one is asked for.
 */
export async function buildRoiReport(
  tx: Tx,
  tenantId: string,
  sites: { id: string; name: string }[] | null,
  range: ReportRange,
  groupBy: GroupBy,
  currency: string,
  compare: Compare = 'none',
): Promise<RoiReport> {
  let buckets: Period[];
  if (groupBy !== 'site') buckets = periodsBetween(range.from, range.to, groupBy);
  else if (sites) buckets = sites.map((s) => ({ key: s.id, label: s.name }));
  else throw new Error('groupBy=site needs the sites with their names');
  const earlier = comparisonRange(range, compare);
  const sums = new Map<string, Sums>(buckets.map((b) => [b.key, zeroSums()]));
  const earlierSums = zeroSums();
  const daysWithData = [0, 0];
  if (!sites || sites.length > 0) {
    const siteIds: SiteSet = sites
      ? sql`${sites.map((s) => s.id)}::uuid[]`
      : sql`ARRAY(SELECT id FROM sites WHERE tenant_id = ${tenantId})`;
    // Metric sums, costs and coverage in one round trip: each row carries one of them, the rest 0.
    const parts = [partOf(0, tenantId, siteIds, range, groupBy)];
    if (earlier) parts.push(partOf(1, tenantId, siteIds, earlier, 'total'));
    const { rows } = await sql<SumsRow>`${sql.join(parts, sql` UNION ALL `)}`.execute(tx);
    for (const row of rows) {
      const part = Number(row.part);
      if (row.k === '#coverage') {
        daysWithData[part]! += Number(row.days);
        continue;
      }
      const s = part === 0 ? sums.get(row.k) : earlierSums;
      if (!s) continue;
      for (const field of Object.keys(s) as (keyof Sums)[]) s[field] += Number(row[field]);
    }
  }
  const total = zeroSums();
  const series: RoiSeriesItem[] = buckets.map((b) => {
    const s = sums.get(b.key)!;
    for (const field of Object.keys(total) as (keyof Sums)[]) total[field] += s[field];
    return { key: b.key, label: b.label, ...figuresOf(s) };
  });
  const coverage = (r: ReportRange, days: number) => ({
    days: daysBetween(r.from, r.to) + 1,
    daysWithData: days,
  });
  return {
    currency,
    from: range.from,
    to: range.to,
    groupBy,
    totals: { ...figuresOf(total), coverage: coverage(range, daysWithData[0]!) },
    series,
    comparison: earlier
      ? {
          from: earlier.from,
          to: earlier.to,
          totals: { ...figuresOf(earlierSums), coverage: coverage(earlier, daysWithData[1]!) },
        }
      : null,
  };
}
