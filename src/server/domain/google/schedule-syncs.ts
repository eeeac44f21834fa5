import { sql } from 'kysely';
import type { Database } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import { addDays, todayIn } from '../reports/periods.ts';
import { defaultBackfillRange, queueSync } from './site-sources.ts';

/** Days before the last synced day that a daily sync reads again: Google finalises late. */
export const LOOKBACK_DAYS = 4;

export interface SiteRef {
  tenantId: string;
  siteId: string;
}

/**
 * Syncs that should be running and are not: queued, or running under a lease that ran out (its
 * worker was killed). Listed across workspaces under the `google-sync` worker scope (read only).
 */
export async function findStalledSyncs(database: Database, limit = 500): Promise<SiteRef[]> {
  return inTransaction(database, { workerScope: 'google-sync' }, async (tx) => {
    const rows = await sql<{ tenant_id: string; site_id: string }>`
      SELECT tenant_id, site_id FROM site_syncs
      WHERE status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < now())
      ORDER BY updated_at LIMIT ${limit}`.execute(tx);
    return rows.rows.map((r) => ({ tenantId: r.tenant_id, siteId: r.site_id }));
  });
}

/**
 * Queues the daily sync of every linked site of an active connection whose last sync (or last
 * attempt, or its linking) is a day old: the days since its last synced day plus the
 * LOOKBACK_DAYS before, through yesterday in the workspace's time zone (a site never synced gets
 * the default backfill). Returns the sites queued, to be enqueued after commit.
 */
export async function queueDailySyncs(database: Database, limit = 500): Promise<SiteRef[]> {
  const due = await inTransaction(database, { workerScope: 'google-sync' }, async (tx) => {
    const rows = await sql<{ tenant_id: string; site_id: string }>`
      SELECT s.tenant_id, s.site_id
      FROM site_sources s
      JOIN google_connections c ON c.tenant_id = s.tenant_id AND c.id = s.connection_id
      LEFT JOIN site_syncs y ON y.tenant_id = s.tenant_id AND y.site_id = s.site_id
      WHERE c.status = 'active'
        AND (y.site_id IS NULL OR y.status IN ('idle', 'failed'))
        AND greatest(s.created_at, coalesce(y.last_synced_at, s.created_at),
                     coalesce(y.requested_at, s.created_at)) < now() - interval '1 day'
      LIMIT ${limit}`.execute(tx);
    return rows.rows.map((r) => ({ tenantId: r.tenant_id, siteId: r.site_id }));
  });
  const queued: SiteRef[] = [];
  for (const ref of due) {
    const ok = await inTransaction(database, { tenantId: ref.tenantId }, async (tx) => {
      // Checked again under the row's lock: another worker may have queued it meanwhile.
      const row = await sql<{ synced_through: string | null; timezone: string }>`
        SELECT to_char(y.synced_through, 'YYYY-MM-DD') AS synced_through, t.timezone
        FROM site_sources s JOIN tenants t ON t.id = s.tenant_id
        LEFT JOIN site_syncs y ON y.tenant_id = s.tenant_id AND y.site_id = s.site_id
        WHERE s.tenant_id = ${ref.tenantId} AND s.site_id = ${ref.siteId}
          AND (y.site_id IS NULL OR (y.status IN ('idle', 'failed')
               AND coalesce(y.requested_at, s.created_at) < now() - interval '1 day'))
        FOR UPDATE OF s`.execute(tx);
      const r = row.rows[0];
      if (!r) return false;
      const yesterday = addDays(todayIn(r.timezone), -1);
      const from = r.synced_through
        ? addDays(r.synced_through, -LOOKBACK_DAYS)
        : defaultBackfillRange(r.timezone).from;
      await queueSync(tx, ref.tenantId, ref.siteId, {
        from: from > yesterday ? yesterday : from,
        to: yesterday,
      });
      return true;
    });
    if (ok) queued.push(ref);
  }
  return queued;
}
