import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite } from './helpers.ts';
import { buildTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** Daily metrics and monthly rollups always belong to a site of their tenant (migration 0025). */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const TABLES = ['metrics_daily', 'metrics_monthly'] as const;

describe('metrics belong to a site', () => {
  it('both tables have a cascading (tenant_id, site_id) key to sites', async () => {
    const keys = await sql<{ table: string; definition: string }>`
      SELECT c.conrelid::regclass::text AS table, pg_get_constraintdef(c.oid) AS definition
      FROM pg_constraint c
      WHERE c.contype = 'f' AND c.confrelid = 'sites'::regclass
        AND c.conrelid::regclass::text IN ('metrics_daily', 'metrics_monthly')
      ORDER BY 1`.execute(app.database.db);
    expect(keys.rows).toEqual(
      TABLES.map((table) => ({
        table,
        definition:
          'FOREIGN KEY (tenant_id, site_id) REFERENCES sites(tenant_id, id) ON DELETE CASCADE',
      })),
    );
  });

  it('refuses rows for a site that does not exist, and deleting a site removes its rows', async () => {
    const tenant = await buildTenant(app);
    const site = await createSite(tenant);
    const imported = await tenant.owner.client.post(`/api/v1/sites/${site.id}/metrics`, {
      rows: [{ date: '2026-01-01', sessions: 3 }],
    });
    expect(imported.status, imported.text).toBe(200);

    await expect(
      app.database.db
        .insertInto('metrics_daily')
        .values({
          tenant_id: tenant.id,
          site_id: randomUUID(),
          day: '2026-01-01',
          sessions: 1,
          conversions: null,
          revenue: null,
          clicks: null,
          impressions: null,
          position: null,
        })
        .execute(),
    ).rejects.toThrow(/foreign key/);

    // Deleted outside the API (a script, a support fix): the keys take the metrics along.
    await app.database.db
      .deleteFrom('sites')
      .where('tenant_id', '=', tenant.id)
      .where('id', '=', site.id)
      .execute();
    for (const table of TABLES) {
      const left = await app.database.db
        .selectFrom(table)
        .select('site_id')
        .where('tenant_id', '=', tenant.id)
        .execute();
      expect(left, table).toEqual([]);
    }
  });
});
