import { sql } from 'kysely';
import type { Database, Tx } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';

/**
 * Workspace rollups (migrations/0090): the sums of every site of a workspace per day and month,
 * which a report over the whole workspace reads instead of each site's rows. They are derived
 * data, rebuilt by the worker: each writer of site metrics marks the months it changed stale in
 * its own transaction (one plain INSERT: concurrent writers never wait on each other here), and a
 * report reads the rollups only for months with no stale entry.
 */

/** Marks months (YYYY-MM-01) of the workspace stale; the writer's last step before commit. */
export async function markMonthsStale(tx: Tx, tenantId: string, months: string[]): Promise<void> {
  if (months.length === 0) return;
  await sql`
    INSERT INTO workspace_rollup_stale (tenant_id, month)
    SELECT ${tenantId}::uuid, m FROM unnest(${months}::date[]) AS m`.execute(tx);
}

/** Marks every month a site has data in stale (its values changed, or it is about to go). */
export async function markSiteMonthsStale(tx: Tx, tenantId: string, siteId: string): Promise<void> {
  await sql`
    INSERT INTO workspace_rollup_stale (tenant_id, month)
    SELECT tenant_id, month FROM metrics_monthly WHERE tenant_id = ${tenantId} AND site_id = ${siteId}`.execute(
    tx,
  );
}

/** Months rebuilt per transaction: on the embedded database one transaction holds every tenant. */
const MONTHS_PER_REBUILD = 12;

/**
 * Rebuilds the workspace's stale months from its sites' daily rows, a year of months at a time
 * (each step about 30 ms for 25 sites). In each transaction, after an advisory lock that makes
 * rebuilds of one workspace take turns:
 *
 * 1. the stale entries of the year from the first stale month are deleted, which gives the first
 *    and the last stale month in it;
 * 2. the workspace rollups of every month between them are deleted, and
 * 3. rebuilt from metrics_daily, read by one index range scan per site (a statement that starts
 *    after 1, so its snapshot holds every write whose entry 1 deleted), then the months from the
 *    days.
 *
 * A writer's rows and its stale entry commit together. One that commits after 1 leaves its entry,
 * so its months are rebuilt again later even when 3 saw its rows; until then reports read the
 * sites' rows for them. Readers see the old rollups until this commits. Months between two stale
 * ones are rebuilt too: scattered stale months are rare, and one range keeps every step a range
 * read (joining each stale month to each site's days compared every day with every month: 50 s
 * for a site with 274 years of days). Returns how many stale entries it cleared.
 */
export async function refreshWorkspaceRollups(
  database: Database,
  tenantId: string,
): Promise<number> {
  let cleared = 0;
  for (;;) {
    const entries = await rebuildFirstStaleYear(database, tenantId);
    if (entries === 0) return cleared;
    cleared += entries;
  }
}

/** One step of refreshWorkspaceRollups; how many stale entries it cleared (0: none left). */
async function rebuildFirstStaleYear(database: Database, tenantId: string): Promise<number> {
  return inTransaction(database, { tenantId }, async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`workspace-rollups:${tenantId}`}))`.execute(
      tx,
    );
    const cleared = await sql<{ entries: number; lo: string | null; hi: string | null }>`
      WITH cleared AS (
        DELETE FROM workspace_rollup_stale
        WHERE tenant_id = ${tenantId} AND month < (
          SELECT min(month) + ${`${MONTHS_PER_REBUILD} months`}::interval
          FROM workspace_rollup_stale WHERE tenant_id = ${tenantId})
        RETURNING month
      )
      SELECT count(*)::int AS entries, to_char(min(month), 'YYYY-MM-DD') AS lo,
             to_char(max(month) + interval '1 month', 'YYYY-MM-DD') AS hi
      FROM cleared`.execute(tx);
    const { entries, lo, hi } = cleared.rows[0]!;
    if (entries === 0 || lo === null || hi === null) return 0;
    await sql`
      DELETE FROM workspace_metrics_daily
      WHERE tenant_id = ${tenantId} AND day >= ${lo}::date AND day < ${hi}::date`.execute(tx);
    await sql`
      DELETE FROM workspace_metrics_monthly
      WHERE tenant_id = ${tenantId} AND month >= ${lo}::date AND month < ${hi}::date`.execute(tx);
    await sql`
      INSERT INTO workspace_metrics_daily (tenant_id, day, sessions, conversions, revenue, clicks,
        impressions, position_weighted, position_impressions, value)
      SELECT ${tenantId}::uuid, m.day, coalesce(sum(m.sessions), 0), coalesce(sum(m.conversions), 0),
        coalesce(sum(m.revenue), 0), coalesce(sum(m.clicks), 0), coalesce(sum(m.impressions), 0),
        coalesce(sum(m.position * m.impressions), 0),
        coalesce(sum(m.impressions) FILTER (WHERE m.position IS NOT NULL), 0), sum(m.value)
      FROM sites s
      CROSS JOIN LATERAL (
        SELECT day, sessions, conversions, revenue, clicks, impressions, position, value
        FROM metrics_daily
        WHERE tenant_id = s.tenant_id AND site_id = s.id AND day >= ${lo}::date AND day < ${hi}::date
        OFFSET 0
      ) AS m
      WHERE s.tenant_id = ${tenantId}
      GROUP BY m.day`.execute(tx);
    await sql`
      INSERT INTO workspace_metrics_monthly (tenant_id, month, sessions, conversions, revenue, clicks,
        impressions, position_weighted, position_impressions, value, days_mask)
      SELECT ${tenantId}::uuid, date_trunc('month', day::timestamp)::date, sum(sessions),
        sum(conversions), sum(revenue), sum(clicks), sum(impressions), sum(position_weighted),
        sum(position_impressions), sum(value), bit_or(1 << (extract(day FROM day)::int - 1))
      FROM workspace_metrics_daily
      WHERE tenant_id = ${tenantId} AND day >= ${lo}::date AND day < ${hi}::date
      GROUP BY 2`.execute(tx);
    return entries;
  });
}

/** How long a workspace's writes must have paused before its rollups are rebuilt. */
export const QUIET_MS = 1_000;
/** A workspace written to without pause is rebuilt anyway once its oldest stale entry is this old. */
export const MAX_STALE_MS = 30_000;

/**
 * The workspaces whose rollups are due for a rebuild: no stale entry newer than QUIET_MS (a
 * history being loaded is rebuilt once, after its last import, not after each), or one older than
 * MAX_STALE_MS. Listed across tenants under the worker scope `workspace-rollups` (read only).
 */
export async function workspacesDueForRollup(
  database: Database,
  limit = 100,
  quietMs = QUIET_MS,
): Promise<string[]> {
  return inTransaction(database, { workerScope: 'workspace-rollups' }, (tx) =>
    dueWorkspaces(tx, limit, quietMs),
  );
}

/** workspacesDueForRollup in a transaction whose scope includes `workspace-rollups`. */
export async function dueWorkspaces(tx: Tx, limit: number, quietMs = QUIET_MS): Promise<string[]> {
  const result = await sql<{ tenant_id: string }>`
    SELECT tenant_id FROM workspace_rollup_stale
    GROUP BY tenant_id
    HAVING max(created_at) < clock_timestamp() - ${`${quietMs} milliseconds`}::interval
        OR min(created_at) < clock_timestamp() - ${`${MAX_STALE_MS} milliseconds`}::interval
    ORDER BY min(created_at)
    LIMIT ${limit}`.execute(tx);
  return result.rows.map((r) => r.tenant_id);
}
