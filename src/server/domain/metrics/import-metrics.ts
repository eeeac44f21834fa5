import { sql } from 'kysely';
import { arrayLiteral } from '../../data/array-literal.ts';
import type { Tx } from '../../data/database.ts';
import { afterCommit } from '../../data/scoped-transaction.ts';
import type { Cache } from '../../infra/cache.ts';
import { AppError } from '../../errors.ts';
import type { ImportMetricsResult } from '../../../shared/schemas/roi.ts';
import { invalidateReports, reportCacheNamespace } from '../reports/report-cache.ts';
import {
  attributionTerms,
  creditedPart,
  creditedValueOf,
  creditedValueOfPart,
  refreshSiteValues,
} from '../sites/attribution.ts';
import { getVisibleSite } from '../sites/sites.ts';
import type { Viewer } from '../sites/viewer.ts';
import {
  IMPORT_BATCH_ROWS,
  parseCsvImport,
  parseJsonImport,
  type MetricColumns,
} from './parse-metric-rows.ts';

/** Which parser a Content-Type selects: CSV for text/csv, JSON for JSON or no type. */
export function importFormatOf(contentType: string | undefined): 'csv' | 'json' {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (type === '' || type === 'application/json' || type.endsWith('+json')) return 'json';
  throw new AppError(
    'unsupported_media_type',
    'Send metrics as application/json ({"rows": [...]}) or text/csv with a header row',
  );
}

/**
 * Imports a site's daily metrics: parses every row, rejects the whole import (400 listing each bad
 * row) if any is invalid, and upserts the rows by (site, day) (a field a row leaves out keeps its
 * stored value), keeping the monthly rollups of the touched months current. A CSV is written in
 * batches while the rest is still being parsed, so that the database and the parser work at
 * once; a bad row found later rolls the whole transaction back. The site's row lock serializes
 * imports of one site, so rollups never miss a concurrent import and no other writer can add a day
 * of this site between our look-up and our insert.
 */
export async function importMetrics(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  siteId: string,
  body: Buffer,
  contentType: string | undefined,
  currency: string,
  reports: ReportCache,
): Promise<ImportMetricsResult & { from: string | null; to: string | null }> {
  const format = importFormatOf(contentType);
  const site = await getVisibleSite(tx, tenantId, viewer, siteId, true);
  const baseline = site.attribution.baseline;
  const writer = createMetricsWriter(tx, reports, tenantId, siteId, baseline);
  let parsed;
  try {
    parsed =
      format === 'csv'
        ? await parseCsvImport(body, currency, {
            onBatch: writer.write,
            // With a baseline, the first batch is a whole one: its baseline days are summed before
            // any value is credited, wherever they are in the file (see createMetricsWriter).
            firstBatchRows: baseline ? IMPORT_BATCH_ROWS : undefined,
          })
        : parseJsonImport(body);
  } catch (error) {
    await writer.abandon();
    throw error;
  }
  if (parsed.errors.length > 0) {
    await writer.abandon();
    throw new AppError(
      'validation',
      `${parsed.errors.length} problem(s) in the import; nothing was imported`,
      {
        errors: parsed.errors,
      },
    );
  }
  writer.write(parsed.columns);
  return writer.finish();
}

/**
 * Writes days read from elsewhere (a Google sync) through the import's own path: the same upsert
 * by (site, day) in which a null field keeps its stored value, the same monthly rollups, under the
 * same row lock of the site. Runs in the caller's transaction.
 */
export async function writeMetricColumns(
  tx: Tx,
  reports: ReportCache,
  tenantId: string,
  siteId: string,
  columns: MetricColumns,
): Promise<ImportMetricsResult> {
  // The sync acts for the workspace itself: every site is visible to it.
  const site = await getVisibleSite(tx, tenantId, { role: 'owner', userId: null }, siteId, true);
  const writer = createMetricsWriter(tx, reports, tenantId, siteId, site.attribution.baseline);
  writer.write(columns);
  const { received, inserted, updated } = await writer.finish();
  return { received, inserted, updated };
}

/** The report cache the metrics writer drops a workspace's reports from (AppServices.cache). */
export type ReportCache = Pick<Cache, 'invalidate'>;

/**
 * Writes batches of parsed rows one after the other in the import's transaction, each started as
 * soon as it is handed over; `finish` waits for them and recounts the months that need it. Every
 * writer of metrics (imports, Google syncs) comes through here, so here the workspace's cached
 * reports are dropped once the transaction has committed.
 *
 * Rows inside the site's baseline period change its mean, and with it every month's credited
 * value. A batch of days the site does not have yet adds its rows' gross to the baseline's sum
 * before it is inserted, so its own months are credited under the new mean; only when the site
 * already had rollups (credited under the old mean) is every month recomputed at the end. Loading
 * a site's history, baseline included, in one batch (a JSON import, or up to 10,000 rows of a CSV
 * into a site with a baseline) so writes each value once. An upsert over stored days inside the
 * baseline always ends with the full recomputation.
 */
function createMetricsWriter(
  tx: Tx,
  reports: ReportCache,
  tenantId: string,
  siteId: string,
  baseline: { from: string; to: string } | null,
) {
  let writing: Promise<void> = Promise.resolve();
  let received = 0;
  let inserted = 0;
  let from: string | null = null;
  let to: string | null = null;
  const recount = new Set<string>();
  let recomputeValues = false;

  const writeBatch = async (batch: MetricColumns, range: { from: string; to: string }) => {
    const rows = unnestRows(batch);
    const inBaseline = baseline !== null && range.from <= baseline.to && range.to >= baseline.from;
    if (!(await hasStoredDay(tx, tenantId, siteId, range.from, range.to))) {
      if (inBaseline && (await addToBaselineGross(tx, tenantId, siteId, batch, baseline))) {
        recomputeValues ||= await hasRollups(tx, tenantId, siteId);
      }
      await insertNewDays(tx, tenantId, siteId, rows);
      inserted += batch.dates.length;
      return;
    }
    inserted += await upsertDailyMetrics(tx, tenantId, siteId, rows);
    for (const month of touchedMonths(batch.dates)) recount.add(month);
    if (inBaseline) recomputeValues = true;
  };

  return {
    write(batch: MetricColumns): void {
      if (batch.dates.length === 0) return;
      const range = dateRange(batch.dates);
      received += batch.dates.length;
      if (from === null || range.from < from) from = range.from;
      if (to === null || range.to > to) to = range.to;
      writing = writing.then(() => writeBatch(batch, range));
      // Its failure is thrown by finish (or dropped by abandon), not reported as unhandled.
      writing.catch(() => undefined);
    },
    /** Waits for the writes (the transaction is rolled back by the caller's error). */
    async abandon(): Promise<void> {
      await writing.catch(() => undefined);
    },
    async finish(): Promise<ImportMetricsResult & { from: string | null; to: string | null }> {
      await writing;
      // A day a batch updated may sit in a month an earlier batch added to: recounted from the
      // stored days, after every batch.
      await refreshMonthlyRollups(tx, tenantId, siteId, [...recount].sort());
      if (recomputeValues) await refreshSiteValues(tx, tenantId, siteId);
      if (received > 0) {
        afterCommit(tx, reportCacheNamespace(tenantId), () => invalidateReports(reports, tenantId));
      }
      return { received, inserted, updated: received - inserted, from, to };
    },
  };
}

/** The earliest and the latest of `YYYY-MM-DD` dates (at least one). */
function dateRange(dates: string[]): { from: string; to: string } {
  let from = dates[0]!;
  let to = from;
  for (const d of dates) {
    if (d < from) from = d;
    else if (d > to) to = d;
  }
  return { from, to };
}

/**
 * The parsed rows as a table `u(day, sessions, …, position)`, each column bound as one array
 * literal: node-postgres's own array serialization cost as much as the insert it fed.
 *
 * The arrays are unnested side by side in a select list (a ProjectSet), not by the many-argument
 * `unnest(a, b, …)` in FROM: that one stores each array's elements in a tuplestore of its own
 * before joining them up again. Same rows (the arrays have one length); the 1,095-row insert of
 * a JSON import ran 0.6 ms (7 %) faster under EXPLAIN ANALYZE (docs/benchmarks.md, 8 Dec).
 */
function unnestRows(c: MetricColumns) {
  return sql`(SELECT unnest(${arrayLiteral(c.dates)}::text::date[]) AS day,
                     unnest(${arrayLiteral(c.sessions)}::text::bigint[]) AS sessions,
                     unnest(${arrayLiteral(c.conversions)}::text::bigint[]) AS conversions,
                     unnest(${arrayLiteral(c.revenue)}::text::bigint[]) AS revenue,
                     unnest(${arrayLiteral(c.clicks)}::text::bigint[]) AS clicks,
                     unnest(${arrayLiteral(c.impressions)}::text::bigint[]) AS impressions,
                     unnest(${arrayLiteral(c.position)}::text::numeric[]) AS position) AS u`;
}

/** Whether the site has any stored day in [from, to]. */
async function hasStoredDay(
  tx: Tx,
  tenantId: string,
  siteId: string,
  from: string,
  to: string,
): Promise<boolean> {
  const stored = await sql`
    SELECT 1 FROM metrics_daily
    WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND day BETWEEN ${from}::date AND ${to}::date
    LIMIT 1`.execute(tx);
  return stored.rows.length > 0;
}

/**
 * Adds the gross (revenue + conversions × conversionValue) of the rows inside the site's baseline
 * period to its stored sum; whether that changed it. Exact only for rows that are all new days
 * (`hasStoredDay` found none in their range), as `insertNewDays` requires too. Only the baseline's
 * rows are sent, and only the columns the gross needs: reading every column of a 1,095-row batch
 * again cost a tenth of a 1,095-row JSON import's database time for a 90-day baseline.
 */
async function addToBaselineGross(
  tx: Tx,
  tenantId: string,
  siteId: string,
  batch: MetricColumns,
  baseline: { from: string; to: string },
): Promise<boolean> {
  const days: string[] = [];
  const revenue: (number | null)[] = [];
  const conversions: (number | null)[] = [];
  batch.dates.forEach((day, i) => {
    if (day < baseline.from || day > baseline.to) return;
    days.push(day);
    revenue.push(batch.revenue[i]!);
    conversions.push(batch.conversions[i]!);
  });
  if (days.length === 0) return false;
  // The period is the site row's (locked by this import), the one `baseline` was read from.
  const result = await sql<{ added: string }>`
    WITH added AS (
      SELECT coalesce(sum(coalesce(u.revenue, 0) + coalesce(u.conversions, 0)::numeric * s.conversion_value), 0) AS gross
      FROM sites s
      CROSS JOIN unnest(${arrayLiteral(days)}::text::date[], ${arrayLiteral(revenue)}::text::bigint[],
                        ${arrayLiteral(conversions)}::text::bigint[]) AS u(day, revenue, conversions)
      WHERE s.tenant_id = ${tenantId} AND s.id = ${siteId}
        AND u.day >= s.baseline_from AND u.day <= s.baseline_to
    )
    UPDATE sites AS s SET baseline_gross = s.baseline_gross + added.gross
    FROM added
    WHERE s.tenant_id = ${tenantId} AND s.id = ${siteId} AND added.gross <> 0
    RETURNING added.gross AS added`.execute(tx);
  return result.rows.length > 0;
}

/** Whether the site has any monthly rollup (any stored day). */
async function hasRollups(tx: Tx, tenantId: string, siteId: string): Promise<boolean> {
  const stored = await sql`
    SELECT 1 FROM metrics_monthly WHERE tenant_id = ${tenantId} AND site_id = ${siteId} LIMIT 1`.execute(
    tx,
  );
  return stored.rows.length > 0;
}

// The monthly rollup row of a site's daily rows `d`, grouped by month (the third column), with
// the sum of their credited values and the mask of their days.
const ROLLUP_COLUMNS = sql`(tenant_id, site_id, month, sessions, conversions, revenue, clicks,
  impressions, position_weighted, position_impressions, value, days_mask)`;
const rollupOf = (tenantId: string, siteId: string) => sql`
  SELECT ${tenantId}::uuid, ${siteId}::uuid, date_trunc('month', d.day::timestamp)::date AS month,
         coalesce(sum(d.sessions), 0), coalesce(sum(d.conversions), 0), coalesce(sum(d.revenue), 0),
         coalesce(sum(d.clicks), 0), coalesce(sum(d.impressions), 0),
         coalesce(sum(d.position * d.impressions), 0),
         coalesce(sum(d.impressions) FILTER (WHERE d.position IS NOT NULL), 0),
         coalesce(sum(d.value), 0),
         bit_or(1 << (extract(day FROM d.day)::int - 1))`;
/** The site's attribution terms as a one-row table `a`. */
const termsOf = (tenantId: string, siteId: string) =>
  sql`(SELECT ${attributionTerms('s')} FROM sites s WHERE s.tenant_id = ${tenantId} AND s.id = ${siteId}) AS a`;

/**
 * Inserts days the site does not have yet and adds their sums to the monthly rollups, in one
 * statement. A plain INSERT because loading history, the common case, finds no stored day in its
 * range: ON CONFLICT costs a speculative insertion per row (EXPLAIN ANALYZE: 7 ms against 4.3 ms
 * for 1,095 rows). Adding is exact because every row is new; the sums come from the stored
 * values (RETURNING), so position is rounded as the column rounds it, as a recount would be.
 * Only for rows `hasStoredDay` found no neighbour for, under the site's row lock.
 */
async function insertNewDays(
  tx: Tx,
  tenantId: string,
  siteId: string,
  rows: ReturnType<typeof unnestRows>,
): Promise<void> {
  await sql`
    WITH d AS (
      INSERT INTO metrics_daily (tenant_id, site_id, day, sessions, conversions, revenue, clicks, impressions, position, value)
      SELECT ${tenantId}::uuid, ${siteId}::uuid, u.day, u.sessions, u.conversions, u.revenue, u.clicks, u.impressions, u.position,
             ${creditedValueOfPart('a')}
      FROM ${rows} CROSS JOIN ${termsOf(tenantId, siteId)} CROSS JOIN ${creditedPart('u', 'a')}
      RETURNING day, sessions, conversions, revenue, clicks, impressions, position, value
    )
    INSERT INTO metrics_monthly AS r ${ROLLUP_COLUMNS}
    ${rollupOf(tenantId, siteId)} FROM d GROUP BY 3
    ON CONFLICT (tenant_id, site_id, month) DO UPDATE SET
      sessions = r.sessions + EXCLUDED.sessions, conversions = r.conversions + EXCLUDED.conversions,
      revenue = r.revenue + EXCLUDED.revenue, clicks = r.clicks + EXCLUDED.clicks,
      impressions = r.impressions + EXCLUDED.impressions,
      position_weighted = r.position_weighted + EXCLUDED.position_weighted,
      position_impressions = r.position_impressions + EXCLUDED.position_impressions,
      value = r.value + EXCLUDED.value, days_mask = r.days_mask | EXCLUDED.days_mask`.execute(tx);
}

/** Upserts every row by (site, day), a field a row leaves out keeping its value; returns how many were new. */
async function upsertDailyMetrics(
  tx: Tx,
  tenantId: string,
  siteId: string,
  rows: ReturnType<typeof unnestRows>,
): Promise<number> {
  const result = await sql<{ inserted: number }>`
    WITH upserted AS (
      INSERT INTO metrics_daily AS m (tenant_id, site_id, day, sessions, conversions, revenue, clicks, impressions, position, value)
      SELECT ${tenantId}::uuid, ${siteId}::uuid, u.day, u.sessions, u.conversions, u.revenue, u.clicks, u.impressions, u.position,
             ${creditedValueOfPart('a')}
      FROM ${rows} CROSS JOIN ${termsOf(tenantId, siteId)} CROSS JOIN ${creditedPart('u', 'a')}
      ON CONFLICT (tenant_id, site_id, day) DO UPDATE SET
        sessions = coalesce(EXCLUDED.sessions, m.sessions),
        conversions = coalesce(EXCLUDED.conversions, m.conversions),
        revenue = coalesce(EXCLUDED.revenue, m.revenue),
        clicks = coalesce(EXCLUDED.clicks, m.clicks),
        impressions = coalesce(EXCLUDED.impressions, m.impressions),
        position = coalesce(EXCLUDED.position, m.position),
        value = (SELECT ${creditedValueOf(sql`coalesce(EXCLUDED.revenue, m.revenue)`, sql`coalesce(EXCLUDED.conversions, m.conversions)`, 'a')}
                 FROM ${termsOf(tenantId, siteId)})
      RETURNING (xmax = 0) AS is_new
    )
    SELECT count(*) FILTER (WHERE is_new) AS inserted FROM upserted`.execute(tx);
  return Number(result.rows[0]?.inserted ?? 0);
}

/** The first days of the calendar months the dates fall in, sorted. */
export function touchedMonths(dates: string[]): string[] {
  const months = new Set<string>();
  let last: string | null = null;
  for (const d of dates) {
    // Imports come day after day: compare before allocating the month's key.
    if (last === null || !d.startsWith(last)) {
      last = d.slice(0, 7);
      months.add(last);
    }
  }
  return [...months].sort().map((m) => `${m}-01`);
}

/** Recomputes the monthly sums of a site for the given months from its daily rows. */
export async function refreshMonthlyRollups(
  tx: Tx,
  tenantId: string,
  siteId: string,
  months: string[],
): Promise<void> {
  if (months.length === 0) return;
  const first = months[0]!;
  const last = months[months.length - 1]!;
  await sql`
    INSERT INTO metrics_monthly AS r ${ROLLUP_COLUMNS}
    ${rollupOf(tenantId, siteId)}
    FROM metrics_daily AS d
    WHERE d.tenant_id = ${tenantId} AND d.site_id = ${siteId}
      AND d.day >= ${first}::date AND d.day < (${last}::date + interval '1 month')
      AND date_trunc('month', d.day::timestamp)::date = ANY(${months}::date[])
    GROUP BY 3
    ON CONFLICT (tenant_id, site_id, month) DO UPDATE SET
      sessions = EXCLUDED.sessions, conversions = EXCLUDED.conversions, revenue = EXCLUDED.revenue,
      clicks = EXCLUDED.clicks, impressions = EXCLUDED.impressions,
      position_weighted = EXCLUDED.position_weighted, position_impressions = EXCLUDED.position_impressions,
      value = EXCLUDED.value, days_mask = EXCLUDED.days_mask`.execute(tx);
}
