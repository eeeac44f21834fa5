import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE } from '../../src/server/data/database.ts';
import { testDatabase } from '../support/test-app.ts';
import type { Database } from '../../src/server/data/database.ts';

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});

interface TableRow {
  table: string;
  rls: boolean;
  force: boolean;
  is_partition: boolean;
  owner: string;
}

/** Reads the catalog: the rules every tenant table must keep, whatever migration added it. */
describe('tenant isolation rules in the schema', () => {
  it('every table with tenant_id forces row-level security, has a policy and tenant_id first in its primary key', async () => {
    const tables = await sql<TableRow>`
      SELECT c.relname AS table, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
             c.relispartition AS is_partition, pg_get_userbyid(c.relowner) AS owner
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)`.execute(
      database.db,
    );
    expect(tables.rows.length).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const t of tables.rows) {
      if (t.owner === APP_ROLE) problems.push(`${t.table}: owned by ${APP_ROLE}`);
      if (t.is_partition) {
        // A partition is reached through its parent's policies; the app role must not read it directly.
        const grants = await sql<{ n: number }>`
          SELECT count(*)::int AS n FROM information_schema.role_table_grants
          WHERE table_name = ${t.table} AND grantee = ${APP_ROLE}`.execute(database.db);
        if (!(t.rls && t.force) && grants.rows[0]!.n > 0)
          problems.push(`${t.table}: partition readable by ${APP_ROLE} without forced RLS`);
        continue;
      }
      if (!t.rls) problems.push(`${t.table}: row-level security not enabled`);
      if (!t.force) problems.push(`${t.table}: row-level security not forced`);
      const policies = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM pg_policies WHERE schemaname = 'public' AND tablename = ${t.table}`.execute(
        database.db,
      );
      if (policies.rows[0]!.n === 0) problems.push(`${t.table}: no policy`);
      const pk = await sql<{ first: string | null }>`
        SELECT a.attname AS first FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
        WHERE c.relname = ${t.table} AND k.contype = 'p'`.execute(database.db);
      if (pk.rows[0]?.first !== 'tenant_id')
        problems.push(
          `${t.table}: primary key does not start with tenant_id (${pk.rows[0]?.first ?? 'none'})`,
        );
    }
    expect(problems).toEqual([]);
  });

  it('every foreign key between tenant tables starts with tenant_id on both sides', async () => {
    const fks = await sql<{
      name: string;
      from_table: string;
      to_table: string;
      from_first: string;
      to_first: string;
    }>`
      SELECT k.conname AS name, c.relname AS from_table, r.relname AS to_table,
             fa.attname AS from_first, ra.attname AS to_first
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_class r ON r.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute fa ON fa.attrelid = k.conrelid AND fa.attnum = k.conkey[1]
      JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
      WHERE k.contype = 'f' AND n.nspname = 'public' AND NOT c.relispartition
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = k.confrelid AND a.attname = 'tenant_id' AND NOT a.attisdropped)`.execute(
      database.db,
    );
    const bad = fks.rows
      .filter((fk) => fk.from_first !== 'tenant_id' || fk.to_first !== 'tenant_id')
      .map((fk) => `${fk.from_table}.${fk.name} → ${fk.to_table}`);
    expect(fks.rows.length).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  it('the app role is no superuser, cannot bypass RLS and cannot log in', async () => {
    const role = await sql<{ rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }>`
      SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = ${APP_ROLE}`.execute(
      database.db,
    );
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, rolcanlogin: false });
  });

  it('a request transaction sees only its own tenant rows even without a WHERE clause', async () => {
    const { inTransaction } = await import('../../src/server/data/scoped-transaction.ts');
    const { newId } = await import('../../src/server/lib/ids.ts');
    const [a, b] = [newId(), newId()];
    for (const id of [a, b]) {
      await database.db
        .insertInto('tenants')
        .values({
          id,
          name: id,
          subdomain: `s-${id}`,
          branding: '{}',
          created_at: new Date(),
          updated_at: new Date(),
        })
        .execute();
      await database.db
        .insertInto('sites')
        .values({
          tenant_id: id,
          id: newId(),
          name: 'x',
          domain: 'x.test',
          created_at: new Date(),
          updated_at: new Date(),
        })
        .execute();
    }
    const seen = await inTransaction(database, { tenantId: a }, (tx) =>
      tx.selectFrom('sites').select('tenant_id').execute(),
    );
    expect(new Set(seen.map((r) => r.tenant_id))).toEqual(new Set([a]));
    const none = await inTransaction(database, {}, (tx) =>
      tx.selectFrom('sites').select('tenant_id').execute(),
    );
    expect(none).toEqual([]);
    await expect(
      inTransaction(database, { tenantId: a }, (tx) =>
        tx
          .insertInto('sites')
          .values({
            tenant_id: b,
            id: newId(),
            name: 'x',
            domain: 'x.test',
            created_at: new Date(),
            updated_at: new Date(),
          })
          .execute(),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});
