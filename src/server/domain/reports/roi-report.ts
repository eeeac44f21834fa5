import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { invalid } from '../../errors.ts';
import type { GroupBy, RoiFigures, RoiReport, RoiSeriesItem } from '../../../shared/schemas/roi.ts';
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
  cost: 0,
  sessions: 0,
  conversions: 0,
  clicks: 0,
  impressions: 0,
  positionWeighted: 0,
  positionImpressions: 0,
});

/** profit, roi and the weighted position from a bucket's sums (the contract's formulas). */
export function figuresOf(s: Sums): RoiFigures {
  return {
    revenue: s.revenue,
    cost: s.cost,
    profit: s.revenue - s.cost,
    roi: s.cost === 0 ? null : (s.revenue - s.cost) / s.cost,
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

/** One row of the report statement: a bucket's metric sums or its cost (the other fields 0). */
type SumsRow = Sums & { k: string };

/** The site ids a statement covers: the given ones, or every site of the tenant. */
type SiteSet = RawBuilder<string[]>;

/**
 * How rows fall into a grouping's buckets: the expression they are grouped by (a date truncated
 * to its week or month, or the site) and the bucket's key, formatted once per bucket, not per row.
 */
function bucketOf(groupBy: GroupBy, date: RawBuilder<unknown>) {
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
  }
}

/** The daily rows' sums, or their negatives (`-`: days to take off a month's rollup). */
const dailySums = (sign: '' | '-') => sql`${sql.raw(sign)}coalesce(sum(revenue), 0) AS "revenue",
  ${sql.raw(sign)}coalesce(sum(sessions), 0) AS "sessions", ${sql.raw(sign)}coalesce(sum(conversions), 0) AS "conversions",
  ${sql.raw(sign)}coalesce(sum(clicks), 0) AS "clicks", ${sql.raw(sign)}coalesce(sum(impressions), 0) AS "impressions",
  ${sql.raw(sign)}coalesce(sum(position * impressions), 0) AS "positionWeighted",
  ${sql.raw(sign)}coalesce(sum(impressions) FILTER (WHERE position IS NOT NULL), 0) AS "positionImpressions"`;

const MONTHLY_SUMS = sql`sum(revenue) AS "revenue", sum(sessions) AS "sessions", sum(conversions) AS "conversions",
  sum(clicks) AS "clicks", sum(impressions) AS "impressions", sum(position_weighted) AS "positionWeighted",
  sum(position_impressions) AS "positionImpressions"`;

/**
 * Metric sums per bucket. Month and site groupings read the monthly rollups for the whole months
 * inside the range, and for a partial month at an edge whichever is fewer days: the days inside
 * the range, or its rollup less the days outside (rows with negated sums, added up like the rest).
 * A one-year tenant-wide report so reads about sites × 13 months of rollups and at most half a
 * month of days per site at each edge, instead of sites × 365 days.
 */
function metricSums(tenantId: string, siteIds: SiteSet, range: ReportRange, groupBy: GroupBy) {
  // One index range scan per site (a lateral subquery that OFFSET 0 keeps from being flattened
  // into a join), whatever the planner's statistics say: otherwise, with statistics not yet
  // gathered after an import, the edges were planned as a scan of every day of the tenant.
  const dailyBucket = bucketOf(groupBy, sql`day`);
  const daily = (from: string, to: string, sign: '' | '-' = '') => sql`
    SELECT ${dailyBucket.key} AS k, ${dailySums(sign)}
    FROM unnest(${siteIds}) AS wanted(id)
    CROSS JOIN LATERAL (
      SELECT site_id, day, sessions, conversions, revenue, clicks, impressions, position FROM metrics_daily
      WHERE tenant_id = ${tenantId} AND site_id = wanted.id AND day >= ${from}::date AND day <= ${to}::date
      OFFSET 0
    ) AS m
    GROUP BY ${dailyBucket.group}`;
  if (groupBy === 'day' || groupBy === 'week') return daily(range.from, range.to);

  const fullStart = range.from === monthStart(range.from) ? range.from : nextMonthStart(range.from);
  const afterTo = addDays(range.to, 1);
  const fullEnd = afterTo === monthStart(afterTo) ? afterTo : monthStart(range.to); // exclusive
  if (fullStart >= fullEnd) return daily(range.from, range.to);

  // The months read from rollups, [rollupFrom, rollupTo), and the days added or taken off.
  let rollupFrom = fullStart;
  let rollupTo = fullEnd;
  const edges: RawBuilder<unknown>[] = [];
  if (range.from < fullStart) {
    const first = monthStart(range.from);
    const outside = daysBetween(first, range.from); // the days before `from` in its month
    if (outside < daysBetween(range.from, fullStart)) {
      rollupFrom = first;
      if (outside > 0) edges.push(daily(first, addDays(range.from, -1), '-'));
    } else edges.push(daily(range.from, addDays(fullStart, -1)));
  }
  if (fullEnd <= range.to) {
    const next = nextMonthStart(range.to);
    const outside = daysBetween(afterTo, next); // the days after `to` in its month
    if (outside < daysBetween(fullEnd, afterTo)) {
      rollupTo = next;
      edges.push(daily(afterTo, addDays(next, -1), '-'));
    } else edges.push(daily(fullEnd, range.to));
  }

  const monthlyBucket = bucketOf(groupBy, sql`month`);
  const parts = [
    sql`SELECT ${monthlyBucket.key} AS k, ${MONTHLY_SUMS} FROM metrics_monthly
        WHERE tenant_id = ${tenantId} AND site_id = ANY(${siteIds})
          AND month >= ${rollupFrom}::date AND month < ${rollupTo}::date
        GROUP BY ${monthlyBucket.group}`,
    ...edges,
  ];
  return sql.join(parts, sql` UNION ALL `);
}

/**
 * Cost per bucket, attributed as the contract defines: `monthly` once per calendar month that
 * overlaps the service (open-ended: through the month of the report's end), dated the month's
 * first day, so a service starting on the 21st counts in a report that ends on the 15th of that
 * month, open-ended or not;
 * `one_time` on its start date; `hourly` hours × rate on each time entry's date, rounded per entry.
 */
function costSums(tenantId: string, siteIds: SiteSet, range: ReportRange, groupBy: GroupBy) {
  const bucket = bucketOf(groupBy, sql`d`);
  const { from, to } = range;
  return sql`
    SELECT ${bucket.key} AS k, sum(cost) AS cost FROM (
      SELECT s.site_id, s.start_date AS d, s.amount::numeric AS cost
      FROM services s
      WHERE s.tenant_id = ${tenantId} AND s.site_id = ANY(${siteIds}) AND s.billing = 'one_time'
        AND s.start_date >= ${from}::date AND s.start_date <= ${to}::date
      UNION ALL
      SELECT s.site_id, m.month::date AS d, s.amount::numeric AS cost
      FROM services s
      CROSS JOIN LATERAL generate_series(
        greatest(date_trunc('month', s.start_date::timestamp), date_trunc('month', ${from}::date::timestamp)),
        date_trunc('month', least(s.end_date, ${to}::date)::timestamp),
        interval '1 month') AS m(month)
      WHERE s.tenant_id = ${tenantId} AND s.site_id = ANY(${siteIds}) AND s.billing = 'monthly'
        AND s.start_date < ${nextMonthStart(to)}::date AND (s.end_date IS NULL OR s.end_date >= ${monthStart(from)}::date)
        AND m.month >= ${from}::date
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
 * Builds the ROI report over the given sites (null: every site of the tenant) in one statement:
 * every period (or site) of the range appears, zero-filled, with totals over all of them.
 */
export async function buildRoiReport(
  tx: Tx,
  tenantId: string,
  sites: { id: string; name: string }[] | null,
  range: ReportRange,
  groupBy: GroupBy,
  currency: string,
): Promise<RoiReport> {
  let buckets: Period[];
  if (groupBy !== 'site') buckets = periodsBetween(range.from, range.to, groupBy);
  else if (sites) buckets = sites.map((s) => ({ key: s.id, label: s.name }));
  else throw new Error('groupBy=site needs the sites with their names');
  const sums = new Map<string, Sums>(buckets.map((b) => [b.key, zeroSums()]));
  if (!sites || sites.length > 0) {
    const siteIds: SiteSet = sites
      ? sql`${sites.map((s) => s.id)}::uuid[]`
      : sql`ARRAY(SELECT id FROM sites WHERE tenant_id = ${tenantId})`;
    // Metric sums and costs in one round trip: each row carries one of them, the rest 0.
    const { rows } = await sql<SumsRow>`
      SELECT k, "revenue", "sessions", "conversions", "clicks", "impressions", "positionWeighted",
             "positionImpressions", 0 AS cost
      FROM (${metricSums(tenantId, siteIds, range, groupBy)}) AS metrics
      UNION ALL
      SELECT k, 0, 0, 0, 0, 0, 0, 0, cost FROM (${costSums(tenantId, siteIds, range, groupBy)}) AS costs`.execute(
      tx,
    );
    for (const row of rows) {
      const s = sums.get(row.k);
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
  return { currency, from: range.from, to: range.to, groupBy, totals: figuresOf(total), series };
}
