import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import {
  dueWorkspaces,
  refreshWorkspaceRollups,
} from '../../src/server/domain/metrics/workspace-rollups.ts';
import { buildRoiReport, type Compare } from '../../src/server/domain/reports/roi-report.ts';
import type { GroupBy } from '../../src/shared/schemas/roi.ts';
import { buildTenant, eventually, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createService, createSite, importRows, setPlan } from './helpers.ts';
import { eachDay } from './roi-model.ts';

/**
 * Workspace rollups (migrations/0090) are derived data: a report over the whole workspace read
 * from them must equal the same report read from every site's own rows, whether the rollups are
 * fresh (they are read) or stale (they must not be).
 */
let app: TestApp;
beforeAll(async () => {
  // No worker here: these tests decide when the rollups are rebuilt (other files' workers may
  // still rebuild them, which changes no report).
  app = await startTestApp({ worker: false });
});
afterAll(async () => {
  await app.close();
});

type Range = { from: string; to: string };

/** The report over every site, as staff's default view reads it (null: the workspace). */
const workspaceReport = (t: TestTenant, range: Range, groupBy: GroupBy, compare: Compare) =>
  inTransaction(app.database, { tenantId: t.id, genericPlans: true }, (tx) =>
    buildRoiReport(tx, t.id, null, range, groupBy, 'USD', compare),
  );

/** The same report read from each site's rows (the sites named one by one). */
const sitesReport = (t: TestTenant, range: Range, groupBy: GroupBy, compare: Compare) =>
  inTransaction(app.database, { tenantId: t.id, genericPlans: true }, async (tx) => {
    const sites = await tx
      .selectFrom('sites')
      .select(['id', 'name'])
      .where('tenant_id', '=', t.id)
      .orderBy('name')
      .orderBy('id')
      .execute();
    return buildRoiReport(tx, t.id, sites, range, groupBy, 'USD', compare);
  });

const staleMonths = (t: TestTenant) =>
  inTransaction(app.database, { tenantId: t.id }, async (tx) => {
    const result = await sql<{ month: string }>`
      SELECT DISTINCT to_char(month, 'YYYY-MM-DD') AS month FROM workspace_rollup_stale
      WHERE tenant_id = ${t.id} ORDER BY 1`.execute(tx);
    return result.rows.map((r) => r.month);
  });

const rollupMonth = (t: TestTenant, month: string) =>
  inTransaction(app.database, { tenantId: t.id }, async (tx) => {
    const result = await sql<{ revenue: string; days_mask: number }>`
      SELECT revenue, days_mask FROM workspace_metrics_monthly
      WHERE tenant_id = ${t.id} AND month = ${month}::date`.execute(tx);
    return result.rows[0] ?? null;
  });

const GROUPINGS: GroupBy[] = ['day', 'week', 'month'];
const RANGES: Range[] = [
  { from: '2026-01-01', to: '2026-03-31' },
  { from: '2026-01-10', to: '2026-03-05' },
  { from: '2026-02-03', to: '2026-02-20' },
  { from: '2025-12-15', to: '2026-04-02' },
];

/** Every grouping, range and comparison: the workspace's report equals its sites' report. */
async function expectSameAsSites(t: TestTenant) {
  for (const range of RANGES) {
    for (const groupBy of GROUPINGS) {
      for (const compare of ['previous', 'year', 'none'] as Compare[]) {
        const where = `${range.from}..${range.to} ${groupBy} ${compare}`;
        expect(await workspaceReport(t, range, groupBy, compare), where).toEqual(
          await sitesReport(t, range, groupBy, compare),
        );
      }
    }
  }
}

/** Rows of `days` with values that differ per site and day. */
const rowsFor = (days: string[], seed: number) =>
  days.map((date, i) => ({
    date,
    sessions: 10 + ((i * seed) % 90),
    conversions: (i + seed) % 4,
    revenue: 1_000 * seed + i * 37,
    clicks: (i * 3) % 50,
    impressions: 100 + i * seed,
    position: i % 5 === 0 ? undefined : 1 + ((i * seed) % 300) / 10,
  }));

async function workspaceWithData() {
  const t = await buildTenant(app);
  await setPlan(app, t, 'agency');
  const a = await createSite(t);
  const b = await createSite(t);
  const c = await createSite(t);
  await createService(t, a.id, { amount: 310_000, startDate: '2026-01-15' });
  await createService(t, b.id, { billing: 'one_time', amount: 50_000, startDate: '2026-02-02' });
  // The writes follow each other closely: no worker (another file's) finds them paused for a
  // second before the tests below have looked at what they marked.
  await importRows(t, a.id, rowsFor(eachDay('2025-12-01', '2026-03-31'), 3));
  await importRows(t, b.id, rowsFor(eachDay('2026-01-20', '2026-02-10'), 7));
  // Site c alone has data on 2026-04-01..04-03.
  await importRows(t, c.id, rowsFor(eachDay('2026-02-25', '2026-04-03'), 11));
  const patched = await t.owner.client.patch(`/api/v1/sites/${b.id}`, {
    attribution: {
      revenueShare: 0.6,
      conversionValue: 2_500,
      grossMargin: 0.8,
      baseline: { from: '2026-01-20', to: '2026-01-31' },
    },
  });
  expect(patched.status, patched.text).toBe(200);
  return { t, a, b, c };
}

describe('workspace rollups', () => {
  it('give the sites’ report when fresh and when stale, after imports, attribution changes and site deletion', async () => {
    const { t, a, c } = await workspaceWithData();
    // Every write marked its months stale; until a rebuild the report reads the sites' rows.
    expect(await staleMonths(t)).toEqual([
      '2025-12-01',
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
      '2026-04-01',
    ]);
    await expectSameAsSites(t);

    // (Another file's worker may have rebuilt them already: that changes no report.)
    await refreshWorkspaceRollups(app.database, t.id);
    expect(await staleMonths(t)).toEqual([]);
    // Days 1–3 of April come from site c alone.
    expect(await rollupMonth(t, '2026-04-01')).toMatchObject({ days_mask: 0b111 });
    await expectSameAsSites(t);

    // The report reads the rollups: a change made to them shows (and is undone by a rebuild).
    const range = { from: '2026-01-01', to: '2026-03-31' };
    const before = await workspaceReport(t, range, 'month', 'none');
    await inTransaction(app.database, { tenantId: t.id }, (tx) =>
      sql`UPDATE workspace_metrics_monthly SET revenue = revenue + 1000
          WHERE tenant_id = ${t.id} AND month = '2026-02-01'`.execute(tx),
    );
    const tampered = await workspaceReport(t, range, 'month', 'none');
    expect(tampered.totals.revenue).toBe(before.totals.revenue + 1000);

    // A stale month outside the months a report reads leaves it on the rollups; one inside does not.
    await importRows(t, c.id, [{ date: '2026-04-20', revenue: 1 }]);
    expect(await staleMonths(t)).toEqual(['2026-04-01']);
    expect((await workspaceReport(t, range, 'month', 'none')).totals.revenue).toBe(
      tampered.totals.revenue,
    );
    const withApril = { from: range.from, to: '2026-04-01' };
    expect(await workspaceReport(t, withApril, 'month', 'none')).toEqual(
      await sitesReport(t, withApril, 'month', 'none'),
    );

    // A stale month is not read from the rollups, even one they still hold (wrongly, here).
    await importRows(t, a.id, [{ date: '2026-02-14', revenue: 999_999 }]);
    expect(await staleMonths(t)).toEqual(['2026-02-01', '2026-04-01']);
    await expectSameAsSites(t);
    await refreshWorkspaceRollups(app.database, t.id);
    await expectSameAsSites(t);

    // An attribution change restates every month of the site.
    const patched = await t.owner.client.patch(`/api/v1/sites/${a.id}`, {
      attribution: { revenueShare: 0.25, conversionValue: 0, grossMargin: 1, baseline: null },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(await staleMonths(t)).toEqual(['2025-12-01', '2026-01-01', '2026-02-01', '2026-03-01']);
    await expectSameAsSites(t);
    await refreshWorkspaceRollups(app.database, t.id);
    await expectSameAsSites(t);

    // Deleting site c takes its days out, April's included (no other site has any).
    const deleted = await t.owner.client.delete(`/api/v1/sites/${c.id}`);
    expect(deleted.status, deleted.text).toBe(204);
    await expectSameAsSites(t);
    await refreshWorkspaceRollups(app.database, t.id);
    expect(await rollupMonth(t, '2026-04-01')).toBeNull();
    await expectSameAsSites(t);
    const april = await workspaceReport(t, { from: '2026-04-01', to: '2026-04-30' }, 'day', 'none');
    expect(april.totals.coverage.daysWithData).toBe(0);
  });

  it('equal the sites’ report for random ranges, groupings and comparisons', async () => {
    const { t } = await workspaceWithData();
    await refreshWorkspaceRollups(app.database, t.id);
    const days = eachDay('2025-11-01', '2026-05-15');
    const range = fc
      .tuple(fc.constantFrom(...days), fc.constantFrom(...days))
      .map(([x, y]) => (x <= y ? { from: x, to: y } : { from: y, to: x }));
    await fc.assert(
      fc.asyncProperty(
        range,
        fc.constantFrom(...GROUPINGS),
        fc.constantFrom('previous', 'year', 'none' as Compare),
        async (r, groupBy, compare) => {
          expect(await workspaceReport(t, r, groupBy, compare)).toEqual(
            await sitesReport(t, r, groupBy, compare),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rebuild only their own workspace, and list a workspace once its writes have paused', async () => {
    const one = await workspaceWithData();
    const two = await workspaceWithData();
    await refreshWorkspaceRollups(app.database, one.t.id);
    expect(await staleMonths(one.t)).toEqual([]);
    // Another workspace's scope sees none of these rows.
    const seen = await inTransaction(app.database, { tenantId: two.t.id }, async (tx) => {
      const result = await sql<{ n: number }>`
        SELECT (SELECT count(*) FROM workspace_metrics_monthly WHERE tenant_id = ${one.t.id})::int
             + (SELECT count(*) FROM workspace_metrics_daily WHERE tenant_id = ${one.t.id})::int AS n`.execute(
        tx,
      );
      return result.rows[0]!.n;
    });
    expect(seen).toBe(0);
    // Listed once no entry is newer than a second, or one is older than 30 s. The entries are
    // written with their times in a transaction no worker can see, and listed in it.
    const three = await buildTenant(app);
    await inTransaction(
      app.database,
      { tenantId: three.id, workerScope: 'workspace-rollups' },
      async (tx) => {
        const stale = (secondsAgo: number) =>
          sql`INSERT INTO workspace_rollup_stale (tenant_id, month, created_at)
              VALUES (${three.id}, '2026-01-01', clock_timestamp() - ${`${secondsAgo} seconds`}::interval)`.execute(
            tx,
          );
        await stale(5);
        expect(await dueWorkspaces(tx, 100_000)).toContain(three.id);
        await stale(0);
        expect(await dueWorkspaces(tx, 100_000)).not.toContain(three.id);
        await stale(60);
        expect(await dueWorkspaces(tx, 100_000)).toContain(three.id);
      },
    );
  });

  it('are rebuilt by the worker after an import', async () => {
    const worker = await startTestApp();
    try {
      const { t, a } = await workspaceWithData();
      await eventually(async () => (await staleMonths(t)).length === 0);
      await expectSameAsSites(t);
      await importRows(t, a.id, [{ date: '2026-03-03', revenue: 123_456 }]);
      await eventually(async () => (await staleMonths(t)).length === 0);
      const month = await rollupMonth(t, '2026-03-01');
      const sites = await sitesReport(t, { from: '2026-03-01', to: '2026-03-31' }, 'month', 'none');
      expect(Number(month!.revenue)).toBe(sites.totals.revenue);
    } finally {
      await worker.close();
    }
  });

  it.skipIf(!process.env.DATABASE_URL)(
    'a rebuild that runs while an import is uncommitted leaves that import’s months stale',
    async () => {
      const { t, a } = await workspaceWithData();
      await refreshWorkspaceRollups(app.database, t.id);
      let commit!: () => void;
      const release = new Promise<void>((resolve) => (commit = resolve));
      let written!: () => void;
      const wrote = new Promise<void>((resolve) => (written = resolve));
      const importing = inTransaction(app.database, { tenantId: t.id }, async (tx) => {
        await sql`UPDATE metrics_daily SET revenue = revenue + 5000, value = value + 5000
                  WHERE tenant_id = ${t.id} AND site_id = ${a.id} AND day = '2026-03-10'`.execute(
          tx,
        );
        // The change to metrics_monthly marks its month stale (a trigger).
        await sql`UPDATE metrics_monthly SET revenue = revenue + 5000, value = value + 5000
                  WHERE tenant_id = ${t.id} AND site_id = ${a.id} AND month = '2026-03-01'`.execute(
          tx,
        );
        written();
        await release;
      });
      await wrote;
      // The rebuild neither waits for the import nor sees it.
      expect(await refreshWorkspaceRollups(app.database, t.id)).toBe(0);
      commit();
      await importing;
      expect(await staleMonths(t)).toEqual(['2026-03-01']);
      await expectSameAsSites(t);
      await refreshWorkspaceRollups(app.database, t.id);
      expect(await staleMonths(t)).toEqual([]);
      await expectSameAsSites(t);
    },
  );
});
