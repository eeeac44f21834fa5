import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import { recordAuditEvent, type Actor } from '../audit/record-audit-event.ts';
import { writeMetricColumns, type ReportCache } from '../metrics/import-metrics.ts';
import { minorDigitsOf, type MetricColumns } from '../metrics/parse-metric-rows.ts';
import { addDays, daysBetween, nextMonthStart } from '../reports/periods.ts';
import { markConnectionBroken, readGoogleConnection, type GoogleDeps } from './connections.ts';
import { GoogleError, GoogleSession, type AnalyticsDay } from './google-api.ts';
import {
  emptyTermColumns,
  replaceSearchTerms,
  type SearchDimension,
  type SearchTermColumns,
} from './search-terms.ts';

/**
 * What a sync needs: the database, Google, how long its lease on a site lasts, and the report
 * cache the metrics writer drops the workspace's reports from once a chunk commits.
 */
export interface SyncDeps {
  database: Database;
  google: GoogleDeps;
  leaseMs: number;
  reports: ReportCache;
  /** Called after each chunk of days is committed (tests watch or stop a sync midway here). */
  onChunk?: (info: { tenantId: string; siteId: string; through: string }) => void;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, label: 'google-sync' };
const SYSTEM_META = { ip: null, userAgent: null, requestId: null };

/** Unique per running sync: whose lease a site's sync row holds. */
export const newWorkerId = () => `sync-${process.pid}-${randomUUID()}`;

interface Claimed {
  rangeTo: string;
  nextDay: string;
  connectionId: string;
  searchConsoleProperty: string | null;
  analyticsPropertyId: string | null;
  organicOnly: boolean;
  currency: string;
  refreshToken: string;
}

type Outcome = 'done' | 'not_claimed' | 'failed' | 'broken' | 'lost_lease';

/**
 * Runs a site's queued (or stalled) sync to its end, a calendar month of days at a time. Each
 * chunk is read from Google with no transaction open, then written in one transaction that also
 * advances the sync's `next_day` and renews its lease — so a sync killed at any point resumes at
 * the first day not committed, and since every write replaces whole days (site totals by field,
 * search terms by day), a chunk written twice leaves what it left once. The lease (a worker id
 * and an expiry, taken with one conditional UPDATE) keeps two workers off one site: a worker
 * whose lease was taken over or withdrawn finds that at its next write, and stops.
 */
export async function runSiteSync(
  deps: SyncDeps,
  tenantId: string,
  siteId: string,
  workerId = newWorkerId(),
): Promise<Outcome> {
  for (let round = 0; round < 3; round++) {
    const outcome = await runClaimedSync(deps, tenantId, siteId, workerId);
    // A sync asked for again while this one ran withdrew our lease: take the new one up.
    if (outcome !== 'lost_lease') return outcome;
  }
  return 'lost_lease';
}

async function runClaimedSync(
  deps: SyncDeps,
  tenantId: string,
  siteId: string,
  workerId: string,
): Promise<Outcome> {
  const claimed = await claimSync(deps, tenantId, siteId, workerId);
  if (!claimed) return 'not_claimed';
  if ('failed' in claimed) return 'failed';
  const session = new GoogleSession(deps.google.settings, claimed.refreshToken);
  const chunkEnd = (from: string) => {
    const monthEnd = addDays(nextMonthStart(from), -1);
    return monthEnd < claimed.rangeTo ? monthEnd : claimed.rangeTo;
  };
  // The next chunk is read from Google while this one is written: network and database overlap.
  // A read that fails is seen when its chunk's turn comes; nothing of it is written.
  const read = (from: string) => {
    const reading = readChunk(session, claimed, from, chunkEnd(from));
    reading.catch(() => undefined);
    return reading;
  };
  let day = claimed.nextDay;
  let next: Promise<Chunk> | null = read(day);
  while (day <= claimed.rangeTo) {
    const to = chunkEnd(day);
    let chunk: Chunk;
    try {
      chunk = await next!;
    } catch (error) {
      return failSync(deps, tenantId, siteId, workerId, claimed.connectionId, error);
    }
    next = addDays(to, 1) <= claimed.rangeTo ? read(addDays(to, 1)) : null;
    const kept = await inTransaction(deps.database, { tenantId }, async (tx) => {
      const lease = await sql<{ ok: number }>`
        SELECT 1 AS ok FROM site_syncs
        WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND lease_owner = ${workerId}
          AND status = 'running' AND next_day = ${day}::date
        FOR UPDATE`.execute(tx);
      if (lease.rows.length === 0) return false;
      await writeMetricColumns(tx, deps.reports, tenantId, siteId, chunk.totals);
      if (claimed.searchConsoleProperty) {
        for (const dimension of ['query', 'page'] as const) {
          await replaceSearchTerms(
            tx,
            tenantId,
            siteId,
            dimension,
            { from: day, to },
            chunk.terms[dimension],
          );
        }
      }
      await sql`
        UPDATE site_syncs SET next_day = ${addDays(to, 1)}::date,
               done = least(total, done + ${daysBetween(day, to) + 1}),
               synced_through = greatest(coalesce(synced_through, ${to}::date), ${to}::date),
               lease_until = now() + make_interval(secs => ${deps.leaseMs / 1000}),
               updated_at = now()
        WHERE tenant_id = ${tenantId} AND site_id = ${siteId}`.execute(tx);
      return true;
    });
    if (!kept) {
      await next?.catch(() => undefined);
      return 'lost_lease';
    }
    deps.onChunk?.({ tenantId, siteId, through: to });
    day = addDays(to, 1);
  }
  return finishSync(deps, tenantId, siteId, workerId);
}

/**
 * Takes the lease of a queued sync, or of a running one whose worker's lease ran out (killed),
 * and reads what the sync needs. A site no longer linked goes idle; a broken connection fails
 * the sync without a call to Google.
 */
async function claimSync(
  deps: SyncDeps,
  tenantId: string,
  siteId: string,
  workerId: string,
): Promise<Claimed | { failed: true } | null> {
  return inTransaction(deps.database, { tenantId }, async (tx) => {
    const claimed = await sql<{ range_to: string; next_day: string }>`
      UPDATE site_syncs SET status = 'running', lease_owner = ${workerId},
             lease_until = now() + make_interval(secs => ${deps.leaseMs / 1000}), updated_at = now()
      WHERE tenant_id = ${tenantId} AND site_id = ${siteId}
        AND status IN ('queued', 'running') AND next_day IS NOT NULL
        AND (lease_until IS NULL OR lease_until < now())
      RETURNING to_char(range_to, 'YYYY-MM-DD') AS range_to, to_char(next_day, 'YYYY-MM-DD') AS next_day`.execute(
      tx,
    );
    const row = claimed.rows[0];
    if (!row) return null;
    const source = await tx
      .selectFrom('site_sources as s')
      .innerJoin('google_connections as c', (j) =>
        j.onRef('c.tenant_id', '=', 's.tenant_id').onRef('c.id', '=', 's.connection_id'),
      )
      .innerJoin('tenants as t', 't.id', 's.tenant_id')
      .select([
        's.connection_id',
        's.search_console_property',
        's.analytics_property_id',
        's.organic_only',
        'c.status',
        'c.last_error',
        't.currency',
      ])
      .where('s.tenant_id', '=', tenantId)
      .where('s.site_id', '=', siteId)
      .executeTakeFirst();
    if (!source) {
      await releaseLease(tx, tenantId, siteId, 'idle', null);
      return { failed: true } as const;
    }
    if (source.status !== 'active') {
      await releaseLease(tx, tenantId, siteId, 'failed', source.last_error ?? 'connection broken');
      return { failed: true } as const;
    }
    const { refreshToken } = await readGoogleConnection(
      tx,
      deps.google,
      tenantId,
      source.connection_id,
    );
    return {
      rangeTo: row.range_to,
      nextDay: row.next_day,
      connectionId: source.connection_id,
      searchConsoleProperty: source.search_console_property,
      analyticsPropertyId: source.analytics_property_id,
      organicOnly: source.organic_only,
      currency: source.currency,
      refreshToken,
    };
  });
}

async function releaseLease(
  tx: Parameters<Parameters<typeof inTransaction>[2]>[0],
  tenantId: string,
  siteId: string,
  status: 'idle' | 'failed',
  lastError: string | null,
) {
  await sql`
    UPDATE site_syncs SET status = ${status}, last_error = ${lastError}, lease_owner = NULL,
           lease_until = NULL, updated_at = now()
    WHERE tenant_id = ${tenantId} AND site_id = ${siteId}`.execute(tx);
}

interface Chunk {
  totals: MetricColumns;
  terms: Record<SearchDimension, SearchTermColumns>;
}

/** Reads one chunk of days from Google: site totals, search terms, GA4 days. */
async function readChunk(
  session: GoogleSession,
  claimed: Claimed,
  from: string,
  to: string,
): Promise<Chunk> {
  const byDay = new Map<string, DayTotals>();
  const dayOf = (date: string) => {
    let d = byDay.get(date);
    if (!d) byDay.set(date, (d = {}));
    return d;
  };
  const terms = { query: emptyTermColumns(), page: emptyTermColumns() };
  if (claimed.searchConsoleProperty) {
    const property = claimed.searchConsoleProperty;
    // Site totals from the ["date"] query: Google's totals include anonymised queries, which
    // no sum of term rows would.
    await session.querySearchAnalytics(property, from, to, ['date'], (rows) => {
      for (const r of rows) {
        const d = dayOf(r.keys[0]!);
        d.clicks = Math.round(r.clicks);
        d.impressions = Math.round(r.impressions);
        d.position = r.impressions > 0 ? r.position : null;
      }
    });
    await Promise.all(
      (['query', 'page'] as const).map((dimension) => {
        const columns = terms[dimension];
        return session.querySearchAnalytics(property, from, to, ['date', dimension], (rows) => {
          for (const r of rows) {
            const [date, key] = r.keys;
            if (!date || key === undefined || date < from || date > to) continue;
            columns.days.push(date);
            columns.keys.push(key);
            columns.clicks.push(Math.round(r.clicks));
            columns.impressions.push(Math.round(r.impressions));
            columns.positions.push(r.position);
          }
        });
      }),
    );
  }
  if (claimed.analyticsPropertyId) {
    const digits = minorDigitsOf(claimed.currency);
    const days = await session.runDailyReport(
      claimed.analyticsPropertyId,
      from,
      to,
      claimed.organicOnly,
    );
    for (const a of days) addAnalyticsDay(dayOf(a.date), a, digits);
  }
  const totals: MetricColumns = {
    dates: [],
    sessions: [],
    conversions: [],
    revenue: [],
    clicks: [],
    impressions: [],
    position: [],
  };
  for (const [date, d] of [...byDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (date < from || date > to) continue;
    totals.dates.push(date);
    totals.sessions.push(d.sessions ?? null);
    totals.conversions.push(d.conversions ?? null);
    totals.revenue.push(d.revenue ?? null);
    totals.clicks.push(d.clicks ?? null);
    totals.impressions.push(d.impressions ?? null);
    totals.position.push(d.position ?? null);
  }
  return { totals, terms };
}

interface DayTotals {
  sessions?: number;
  conversions?: number;
  revenue?: number;
  clicks?: number;
  impressions?: number;
  position?: number | null;
}

function addAnalyticsDay(d: DayTotals, a: AnalyticsDay, digits: number): void {
  d.sessions = Math.max(0, Math.round(a.sessions));
  d.conversions = Math.max(0, Math.round(a.conversions));
  // Refunds can make a day's revenue negative in GA4; stored revenue is never below zero.
  d.revenue = Math.max(0, decimalToMinor(a.revenue, digits));
}

/** A decimal text in major units to minor units, rounded half away from zero, exactly. */
export function decimalToMinor(value: string, digits: number): number {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return Math.round(Number(value) * 10 ** digits) || 0;
  const [, sign, whole, frac = ''] = m;
  const padded = (frac + '0'.repeat(digits + 1)).slice(0, digits + 1);
  let minor = Number(whole) * 10 ** digits + Number(padded.slice(0, digits) || '0');
  if (Number(padded[digits]) >= 5) minor += 1;
  return sign === '-' ? -minor : minor;
}

/** The sync reached its end: idle, last synced now, audited. */
async function finishSync(
  deps: SyncDeps,
  tenantId: string,
  siteId: string,
  workerId: string,
): Promise<Outcome> {
  return inTransaction(deps.database, { tenantId }, async (tx) => {
    const done = await sql<{ range_from: string; range_to: string; total: number }>`
      UPDATE site_syncs SET status = 'idle', last_synced_at = now(), last_error = NULL,
             lease_owner = NULL, lease_until = NULL, next_day = NULL, done = total, updated_at = now()
      WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND lease_owner = ${workerId}
      RETURNING to_char(range_from, 'YYYY-MM-DD') AS range_from,
                to_char(range_to, 'YYYY-MM-DD') AS range_to, total`.execute(tx);
    const row = done.rows[0];
    if (!row) return 'lost_lease' as const;
    await recordAuditEvent(tx, tenantId, SYSTEM_ACTOR, SYSTEM_META, {
      action: 'site.synced',
      target: { type: 'site', id: siteId },
      changes: { from: row.range_from, to: row.range_to, days: row.total },
    });
    return 'done' as const;
  });
}

/**
 * A chunk could not be read. `invalid_grant`: the connection is broken (audited once), its sites'
 * syncs fail, and nothing more is asked of Google for it. Anything else (retries ran out, a
 * property we may no longer read): this sync fails with the error; the next daily sync tries again.
 */
async function failSync(
  deps: SyncDeps,
  tenantId: string,
  siteId: string,
  workerId: string,
  connectionId: string,
  error: unknown,
): Promise<Outcome> {
  if (!(error instanceof GoogleError)) throw error;
  if (error.kind === 'invalid_grant') {
    await breakConnection(deps, tenantId, connectionId, error.message);
    return 'broken';
  }
  await inTransaction(deps.database, { tenantId }, async (tx) => {
    await sql`
      UPDATE site_syncs SET status = 'failed', last_error = ${error.message}, lease_owner = NULL,
             lease_until = NULL, updated_at = now()
      WHERE tenant_id = ${tenantId} AND site_id = ${siteId} AND lease_owner = ${workerId}`.execute(
      tx,
    );
  });
  return 'failed';
}

/** Marks a connection broken after Google's `invalid_grant`, audited once, in its own transaction. */
export async function breakConnection(
  deps: Pick<SyncDeps, 'database'>,
  tenantId: string,
  connectionId: string,
  message: string,
): Promise<void> {
  await inTransaction(deps.database, { tenantId }, async (tx) => {
    if (await markConnectionBroken(tx, tenantId, connectionId, message)) {
      await recordAuditEvent(tx, tenantId, SYSTEM_ACTOR, SYSTEM_META, {
        action: 'integration.broken',
        target: { type: 'integration', id: connectionId },
        changes: { status: { from: 'active', to: 'broken' }, reason: 'invalid_grant' },
      });
    }
  });
}
