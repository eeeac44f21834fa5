import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/server/data/database.ts';
import { migrate } from '../../src/server/data/migrate.ts';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { auditRelayBacklog } from '../../src/server/domain/audit/relay-audit-events.ts';
import { resyncAllSubscriptions } from '../../src/server/domain/billing/reconcile-billing.ts';
import { addMember, buildTenant, createApiKey, setPlan } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Managed PostgreSQL gives an owner that is no superuser and cannot bypass row-level security.
 * Migrations and every look-up that runs before the tenant is known must still work there.
 */
const adminUrl = process.env.DATABASE_URL;

describe.runIf(adminUrl)('a database owned by a role without superuser or BYPASSRLS', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `roi_owner_${suffix}`;
  const dbName = `roi_owned_${suffix}`;
  let database: Database;
  let app: TestApp;

  const admin = async (statements: string[]) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      for (const s of statements) await client.query(s);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await admin([
      `CREATE ROLE ${owner} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS`,
      `CREATE DATABASE ${dbName} OWNER ${owner}`,
    ]);
    const url = new URL(adminUrl!);
    url.username = owner;
    url.pathname = `/${dbName}`;
    database = await openDatabase({ databaseUrl: url.href, dataDir: 'memory://' });
    await migrate(database);
    app = await startTestApp({ database });
  });

  afterAll(async () => {
    await app?.close();
    await database?.close();
    await admin([
      `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`,
      `DROP OWNED BY ${owner}`,
      `DROP ROLE IF EXISTS ${owner}`,
    ]).catch(() => undefined);
  });

  it('migrates and authenticates API keys', async () => {
    const t = await buildTenant(app);
    const key = await createApiKey(t, 'admin');
    const res = await app.client().get('/api/v1/tenant', { apiKey: key });
    expect(res.status, res.text).toBe(200);
    expect(res.body.id).toBe(t.id);
  });

  it('accepts invitations', async () => {
    const t = await buildTenant(app);
    await setPlan(app, t, 'starter');
    const member = await addMember(app, t, 'member');
    expect((await member.client.get('/api/v1/tenant')).status).toBe(200);
  });

  it('lists the billing re-sync and audit relay work across tenants, and cannot write across', async () => {
    const t = await buildTenant(app);
    const subscriptionId = `sub_${suffix}`;
    await inTransaction(database, { tenantId: t.id }, (tx) =>
      tx
        .insertInto('billing_subscriptions')
        .values({
          tenant_id: t.id,
          id: subscriptionId,
          customer_id: `cus_${suffix}`,
          status: 'active',
          price_id: null,
          plan: 'pro',
          cancel_at_period_end: false,
          stripe_created: new Date(),
          synced_at: new Date(),
        })
        .execute(),
    );
    // Re-sync jobs go to the test app's queue: the count is what the listing found.
    expect(await resyncAllSubscriptions(app.services)).toBeGreaterThanOrEqual(1);
    // buildTenant audited the tenant's creation; nothing was shipped to MongoDB.
    expect(await auditRelayBacklog(database, 10_000)).toContain(t.id);
    // The worker scope reads; it does not write another tenant's rows.
    await expect(
      inTransaction(database, { workerScope: 'billing-resync' }, (tx) =>
        tx
          .updateTable('billing_subscriptions')
          .set({ status: 'canceled' })
          .where('id', '=', subscriptionId)
          .execute(),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});
