import { sql } from 'kysely';
import type { Database, Tx } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';

/**
 * Workspace rollups (migrations/0090): the sums of every site of a workspace per day and month,
 * which a report over the whole workspace reads instead of each site's rows. They are derived
 * data, rebuilt here by the worker: a trigger marks the months of every change to metrics_monthly
 * stale in the writer's own transaction (one plain insert per statement, so concurrent writers
 * never wait on each other), and a report reads the rollups only for months with no stale entry.
 */

/** Months rebuilt per transaction: on the embedded database one transaction holds every tenant. */
const MONTHS_PER_REBUILD = 12;

/**
 * Rebuilds the workspace's stale months from its sites' daily rows, a year of months at a time
 * (each step about 30 ms for 25 sites). Each step is one transaction:
 *
 * 1. it takes the workspace's advisory lock, so rebuilds of one workspace take turns (a second one
 *    then finds the entries the first cleared gone);
 * 2. it deletes the stale entries of the year from the first stale month, which gives the first
 *    and the last stale month in it;
 * 3. it deletes the workspace rollups of every month between them, and
 * 4. rebuilds them from metrics_daily, read by one index range scan per site (a statement that
 *    starts after 2, so its snapshot holds every write whose entry 2 deleted), then the months
 *    from the days.
 *
 * A writer's rows and its stale entry commit together. One that commits after 2 leaves its entry,
 * so its months are rebuilt again later even when 4 saw its rows; until then reports read the
 * sites' rows for them. Readers see the old rollups until a step commits. Months between two
 * stale ones are rebuilt too: scattered stale months are rare, and one range keeps every step a
 * range read (joining each stale month to each site's days compared every day with every month:
 * 50 s for a site with 274 years of days). Only the entries that exist when it starts are
 * cleared, so a workspace written to without pause does not hold the worker; and no step starts
 * after `deadline` (performance.now() ms), so the worker's sweep stops in time and leaves the
 * rest to its next one. Returns how many stale entries it cleared.
 */
export async function refreshWorkspaceRollups(
  database: Database,
  tenantId: string,
  deadline = Infinity,
): Promise<number> {
  let cleared = 0;
  let upTo: string | null = null;
  while (performance.now() < deadline) {
    const step = await rebuildFirstStaleYear(database, tenantId, upTo);
    if (step.entries === 0) break;
    cleared += step.entries;
    upTo = step.upTo;
  }
  return cleared;
}

/**
 * One step of refreshWorkspaceRollups over the entries up to id `upTo` (null: up to the last
 * one now, which it returns); how many stale entries it cleared (0: none left).
 */
async function rebuildFirstStaleYear(
  database: Database,
  tenantId: string,
  upTo: string | null,
): Promise<{ entries: number; upTo: string | null }> {
  return inTransaction(database, { tenantId }, async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`workspace-rollups:${tenantId}`}))`.execute(
      tx,
    );
    const cleared = await sql<{
      entries: number;
      lo: string | null;
      hi: string | null;
      up_to: string | null;
    }>`
      WITH bound AS (
        SELECT coalesce(${upTo}::bigint, max(id)) AS up_to
        FROM workspace_rollup_stale WHERE tenant_id = ${tenantId}
      ),
      step AS (
        SELECT b.up_to, min(st.month) + ${`${MONTHS_PER_REBUILD} months`}::interval AS before
        FROM bound b JOIN workspace_rollup_stale st ON st.tenant_id = ${tenantId} AND st.id <= b.up_to
        GROUP BY b.up_to
      ),
      cleared AS (
        DELETE FROM workspace_rollup_stale AS st USING step
        WHERE st.tenant_id = ${tenantId} AND st.id <= step.up_to AND st.month < step.before
        RETURNING st.month
      )
      SELECT count(*)::int AS entries, to_char(min(month), 'YYYY-MM-DD') AS lo,
             to_char(max(month) + interval '1 month', 'YYYY-MM-DD') AS hi,
             (SELECT up_to::text FROM bound) AS up_to
      FROM cleared`.execute(tx);
    const { entries, lo, hi, up_to } = cleared.rows[0]!;
    if (entries === 0 || lo === null || hi === null) return { entries: 0, upTo };
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
    return { entries, upTo: up_to };
  });
}

/** How long a workspace's writes must have paused before its rollups are rebuilt. */
export const QUIET_MS = 1_000;
/** A workspace written to without pause is rebuilt anyway once its oldest stale entry is this old. */
export const MAX_STALE_MS = 30_000;

/**
 * The workspaces whose rollups are due for a rebuild: no stale entry newer than QUIET_MS (a
 * history being loaded is rebuilt once, after its last import, not after each), or one older than
 * MAX_STALE_MS. Fewest stale months first, so that the many small rebuilds (a day's sync) are not
 * kept waiting behind a long one (a history of decades). Listed across tenants under the worker
 * scope `workspace-rollups` (read only).
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
    ORDER BY count(*), min(created_at)
    LIMIT ${limit}`.execute(tx);
  return result.rows.map((r) => r.tenant_id);
}
