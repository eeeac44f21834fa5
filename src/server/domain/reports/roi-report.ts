import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { useGenericPlans } from '../../data/scoped-transaction.ts';
import { invalid } from '../../errors.ts';
import type { GroupBy, RoiFigures, RoiReport, RoiSeriesItem } from '../../../shared/schemas/roi.ts';
import { siteNotFound } from '../sites/sites.ts';
import { accrueCosts, type DatedService } from './cost-accrual.ts';
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

const SUM_FIELDS = Object.keys(zeroSums()) as (keyof Sums)[];

/** Adds `row`'s sums, times `sign`, to `into` (a field SQL left NULL counts as 0). */
function addSums(into: Sums, row: Sums, sign = 1): void {
  for (const field of SUM_FIELDS) into[field] += sign * Number(row[field]);
}

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

/** The site ids a statement covers: the given ones, or every site of the tenant. */
type SiteSet = RawBuilder<string[]>;

/** Days [from, to] added (sign 1) to a range's rollups or taken off them (−1). */
interface DayEdge {
  from: string;
  to: string;
  sign: 1 | -1;
}

/**
 * How a range is read: the monthly rollups of [rollupFrom, rollupTo) (none when equal), plus or
 * minus edges of days. Day and week groupings read every day, as one edge. Otherwise the whole
 * months inside the range come from rollups, and a partial month from whichever is fewer days:
 * the days inside the range, or its rollup less the days outside; each edge lies inside one month.
 */
function readingPlan(
  range: ReportRange,
  groupBy: GroupBy,
): { rollupFrom: string; rollupTo: string; edges: DayEdge[] } {
  if (groupBy === 'day' || groupBy === 'week') {
    return { rollupFrom: range.from, rollupTo: range.from, edges: [{ ...range, sign: 1 }] };
  }
  const first = monthStart(range.from);
  const afterTo = addDays(range.to, 1);
  const fullStart = range.from === first ? first : nextMonthStart(range.from);
  const fullEnd = afterTo === monthStart(afterTo) ? afterTo : monthStart(range.to); // exclusive
  if (fullStart > fullEnd) {
    // Inside one month, cut at both ends.
    const next = nextMonthStart(first);
    if (2 * (daysBetween(range.from, range.to) + 1) <= daysBetween(first, next)) {
      return { rollupFrom: first, rollupTo: first, edges: [{ ...range, sign: 1 }] };
    }
    return {
      rollupFrom: first,
      rollupTo: next,
      edges: [
        { from: first, to: addDays(range.from, -1), sign: -1 },
        { from: afterTo, to: addDays(next, -1), sign: -1 },
      ],
    };
  }
  let rollupFrom = fullStart;
  let rollupTo = fullEnd;
  const edges: DayEdge[] = [];
  if (range.from < fullStart) {
    const outside = daysBetween(first, range.from); // the days before `from` in its month
    if (outside < daysBetween(range.from, fullStart)) {
      rollupFrom = first;
      edges.push({ from: first, to: addDays(range.from, -1), sign: -1 });
    } else edges.push({ from: range.from, to: addDays(fullStart, -1), sign: 1 });
  }
  if (fullEnd <= range.to) {
    const next = nextMonthStart(range.to);
    const outside = daysBetween(afterTo, next); // the days after `to` in its month
    if (outside < daysBetween(fullEnd, afterTo)) {
      rollupTo = next;
      edges.push({ from: afterTo, to: addDays(next, -1), sign: -1 });
    } else edges.push({ from: fullEnd, to: range.to, sign: 1 });
  }
  return { rollupFrom, rollupTo, edges };
}

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

const NO_SUMS = sql`0 AS "revenue", 0 AS "value", 0 AS "sessions", 0 AS "conversions", 0 AS "clicks",
  0 AS "impressions", 0 AS "positionWeighted", 0 AS "positionImpressions"`;

/** Sums of the days of `m` (each day's credited value is stored with it). */
const DAILY_SUMS = sql`sum(m.revenue) AS "revenue", sum(m.value) AS "value",
  sum(m.sessions) AS "sessions", sum(m.conversions) AS "conversions", sum(m.clicks) AS "clicks",
  sum(m.impressions) AS "impressions", sum(m.position * m.impressions) AS "positionWeighted",
  sum(m.impressions) FILTER (WHERE m.position IS NOT NULL) AS "positionImpressions"`;

/** Sums of workspace days `m`, whose position is stored as its weighted sum already. */
const WORKSPACE_DAILY_SUMS = sql`sum(m.revenue) AS "revenue", sum(m.value) AS "value",
  sum(m.sessions) AS "sessions", sum(m.conversions) AS "conversions", sum(m.clicks) AS "clicks",
  sum(m.impressions) AS "impressions", sum(m.position_weighted) AS "positionWeighted",
  sum(m.position_impressions) AS "positionImpressions"`;

/** Sums of rollups `r` over the months its part reads from rollups (the rest: coverage only). */
const ROLLUP_SUMS = (() => {
  const used = sql`FILTER (WHERE r.month >= p.rf AND r.month < p.rt)`;
  return sql`sum(r.revenue) ${used} AS "revenue", sum(r.value) ${used} AS "value",
  sum(r.sessions) ${used} AS "sessions", sum(r.conversions) ${used} AS "conversions",
  sum(r.clicks) ${used} AS "clicks", sum(r.impressions) ${used} AS "impressions",
  sum(r.position_weighted) ${used} AS "positionWeighted",
  sum(r.position_impressions) ${used} AS "positionImpressions"`;
})();

/** A report's parts: its range (part 1) and the range it is compared with (part 2), as read. */
interface Reading {
  ranges: ReportRange[];
  plans: ReturnType<typeof readingPlan>[];
  /** The distinct spans of days the plans' edges read (edges of two parts may be the same days). */
  spans: { from: string; to: string }[];
  /** For each part, the index in `spans` of each of its edges. */
  spanOfEdge: number[][];
}

/** How the parts are read; the comparison, wanted as totals only, is read as months are. */
function readingOf(ranges: ReportRange[], groupBy: GroupBy): Reading {
  const plans = ranges.map((range, part) => readingPlan(range, part === 0 ? groupBy : 'month'));
  const spans: { from: string; to: string }[] = [];
  const spanOfEdge = plans.map((plan) =>
    plan.edges.map(({ from, to }) => {
      const known = spans.findIndex((s) => s.from === from && s.to === to);
      return known >= 0 ? known : spans.push({ from, to }) - 1;
    }),
  );
  return { ranges, plans, spans, spanOfEdge };
}

/**
 * The report statement. Each row is one of:
 * - `d`: sums of span `n`'s days (per bucket of the grouping), their credited values as stored;
 * - `m`: part `n`'s rollups of one month (summed only over the months its plan reads from
 *   rollups) with the month's day mask OR-ed over the sites, for coverage;
 * - `s` (grouping by site): part `n`'s rollups of one site;
 * - `c`: part `n`'s hourly cost of one bucket: hours × rate on each time entry's date, rounded
 *   per entry;
 * - `v`: one row whose `k` is the JSON list of the monthly and one-off services that run during
 *   any part, which `accrueCosts` accrues by day.
 *
 * - `x` (from the workspace rollups only): a month the report reads has a stale entry
 *   (migrations/0090); the caller reads the sites' rows instead.
 *
 * A comparison is grouped like the report and summed into its totals here. Every report of one
 * grouping runs the same statement text, so that PostgreSQL keeps one generic plan for it; the
 * days are read by one index range scan per site and span (a lateral subquery that OFFSET 0
 * keeps from being flattened into a join), whatever the planner's statistics say. With
 * `workspace`, days and months come from the workspace rollups instead: one scan per span, one
 * row per day or month whatever the number of sites.
 */
function reportStatement(
  tenantId: string,
  siteIds: SiteSet,
  groupBy: GroupBy,
  reading: Reading,
  workspace: boolean,
) {
  const { ranges, plans, spans } = reading;
  const dates = (values: string[]) => sql`${values}::date[]`;
  const first = ranges.reduce((min, r) => (r.from < min ? r.from : min), ranges[0]!.from);
  const last = ranges.reduce((max, r) => (r.to > max ? r.to : max), ranges[0]!.to);
  const day = bucketOf(groupBy, sql`m.day`);
  const cost = bucketOf(groupBy, sql`d`);
  const rollupKey =
    groupBy === 'site'
      ? sql`CASE WHEN grouping(r.month) = 1 THEN 's' ELSE 'm' END AS src, p.n,
          CASE WHEN grouping(r.month) = 1 THEN r.site_id::text ELSE to_char(r.month, 'YYYY-MM') END AS k`
      : sql`'m' AS src, p.n, to_char(r.month, 'YYYY-MM') AS k`;
  const rollupGroups =
    groupBy === 'site' ? sql`GROUPING SETS ((r.month), (r.site_id))` : sql`r.month`;
  const days = workspace
    ? sql`CROSS JOIN LATERAL (
      SELECT day, sessions, conversions, revenue, value, clicks, impressions, position_weighted,
             position_impressions FROM workspace_metrics_daily
      WHERE tenant_id = ${tenantId} AND day >= sp.f AND day <= sp.t
      OFFSET 0
    ) AS m`
    : sql`CROSS JOIN unnest(${siteIds}) AS a(id)
    CROSS JOIN LATERAL (
      SELECT site_id, day, sessions, conversions, revenue, value, clicks, impressions, position FROM metrics_daily
      WHERE tenant_id = ${tenantId} AND site_id = a.id AND day >= sp.f AND day <= sp.t
      OFFSET 0
    ) AS m`;
  const months = workspace
    ? sql`SELECT month, revenue, value, sessions, conversions, clicks, impressions,
             position_weighted, position_impressions, days_mask
      FROM workspace_metrics_monthly
      WHERE tenant_id = ${tenantId} AND month >= p.mf AND month <= p.t`
    : sql`SELECT site_id, month, revenue, value, sessions, conversions, clicks, impressions,
             position_weighted, position_impressions, days_mask
      FROM metrics_monthly
      WHERE tenant_id = ${tenantId} AND site_id = ANY(${siteIds}) AND month >= p.mf AND month <= p.t`;
  const stale = workspace
    ? sql`
    UNION ALL
    SELECT 'x', 0, NULL, ${NO_SUMS}, 0, 0
    WHERE EXISTS (
      SELECT 1 FROM workspace_rollup_stale
      WHERE tenant_id = ${tenantId} AND month >= ${monthStart(first)}::date AND month <= ${monthStart(last)}::date
    )`
    : sql``;
  return sql<SumsRow>`
    WITH parts AS (
      SELECT f, t, mf, rf, rt, n FROM unnest(${dates(ranges.map((r) => r.from))}, ${dates(ranges.map((r) => r.to))},
        ${dates(ranges.map((r) => monthStart(r.from)))}, ${dates(plans.map((p) => p.rollupFrom))},
        ${dates(plans.map((p) => p.rollupTo))}) WITH ORDINALITY AS p(f, t, mf, rf, rt, n)
    ),
    hourly AS (
      SELECT p.n, s.site_id, te.date AS d, round(te.hours * s.amount) AS cost
      FROM parts p
      JOIN services s ON s.tenant_id = ${tenantId} AND s.site_id = ANY(${siteIds}) AND s.billing = 'hourly'
      JOIN time_entries te ON te.tenant_id = s.tenant_id AND te.service_id = s.id
        AND te.date >= p.f AND te.date <= p.t
    )
    SELECT 'd' AS src, sp.n, ${day.key} AS k, ${workspace ? WORKSPACE_DAILY_SUMS : DAILY_SUMS}, 0 AS cost, 0 AS mask
    FROM unnest(${dates(spans.map((s) => s.from))}, ${dates(spans.map((s) => s.to))})
      WITH ORDINALITY AS sp(f, t, n)
    ${days}
    GROUP BY sp.n, ${day.group}
    UNION ALL
    SELECT ${rollupKey}, ${ROLLUP_SUMS}, 0, bit_or(r.days_mask)
    FROM parts p
    CROSS JOIN LATERAL (${months} OFFSET 0) AS r
    GROUP BY p.n, ${rollupGroups}
    UNION ALL
    SELECT 'c', n, ${cost.key}, ${NO_SUMS}, sum(cost), 0 FROM hourly GROUP BY n, ${cost.group}
    UNION ALL
    SELECT 'v', 0, (
      SELECT coalesce(json_agg(json_build_object('siteId', site_id, 'billing', billing,
        'amount', amount, 'startDate', start_date, 'endDate', end_date)), '[]')::text
      FROM services
      WHERE tenant_id = ${tenantId} AND site_id = ANY(${siteIds}) AND billing IN ('monthly', 'one_time')
        AND amount > 0 AND start_date <= ${last}::date AND (end_date IS NULL OR end_date >= ${first}::date)
    ), ${NO_SUMS}, 0, 0${stale}`;
}

/** One row of the report statement (see reportStatement); sums SQL left NULL count as 0. */
type SumsRow = Sums & {
  src: 'd' | 'm' | 's' | 'c' | 'v' | 'x';
  n: number;
  k: string;
  mask: number;
};

/** The days of `month` (YYYY-MM-01) inside `range` that its day mask marks. */
function daysMarked(mask: number, month: string, range: ReportRange): number {
  const lo = month === monthStart(range.from) ? Number(range.from.slice(8, 10)) : 1;
  const hi = month === monthStart(range.to) ? Number(range.to.slice(8, 10)) : 31;
  let bits = mask & (2 ** hi - 2 ** (lo - 1)); // bit d − 1 stands for day d
  let days = 0;
  for (; bits !== 0; bits &= bits - 1) days++;
  return days;
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
    const reading = readingOf(earlier ? [range, earlier] : [range], groupBy);
    // Part 1 is the report, grouped; part 2 the comparison, summed into its totals.
    const into = (part: number, key: string) => (part === 1 ? sums.get(key) : earlierSums);
    await useGenericPlans(tx);
    // Over every site, by period: the workspace rollups, unless a month they would give is stale.
    const workspace = sites === null && groupBy !== 'site';
    let { rows } = await reportStatement(tenantId, siteIds, groupBy, reading, workspace).execute(
      tx,
    );
    if (workspace && rows.some((row) => row.src === 'x')) {
      ({ rows } = await reportStatement(tenantId, siteIds, groupBy, reading, false).execute(tx));
    }
    let services: DatedService[] = [];
    for (const row of rows) {
      const n = Number(row.n);
      if (row.src === 'd') {
        reading.spanOfEdge.forEach((spanIndexes, part) =>
          spanIndexes.forEach((span, edge) => {
            const s = span === n - 1 ? into(part + 1, row.k) : undefined;
            if (s) addSums(s, row, reading.plans[part]!.edges[edge]!.sign);
          }),
        );
      } else if (row.src === 'm') {
        daysWithData[n - 1]! += daysMarked(Number(row.mask), `${row.k}-01`, reading.ranges[n - 1]!);
        const s = n === 2 || groupBy === 'month' ? into(n, row.k) : undefined;
        if (s) addSums(s, row);
      } else if (row.src === 's') {
        const s = n === 1 ? into(n, row.k) : undefined;
        if (s) addSums(s, row);
      } else if (row.src === 'v') {
        services = JSON.parse(row.k) as DatedService[];
      } else if (row.src === 'c') {
        const s = into(n, row.k);
        if (s) s.cost += Number(row.cost);
      }
    }
    // The comparison is summed into its totals: its costs accrue by month, whatever the grouping.
    reading.ranges.forEach((r, i) =>
      accrueCosts(services, r, i === 0 ? groupBy : 'month', (key, cost) => {
        const s = into(i + 1, key);
        if (s) s.cost += cost;
      }),
    );
  }
  const total = zeroSums();
  const series: RoiSeriesItem[] = buckets.map((b) => {
    const s = sums.get(b.key)!;
    addSums(total, s);
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
