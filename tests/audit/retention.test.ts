import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { pruneExpiredAuditEvents } from '../../src/server/domain/audit/prune-audit-events.ts';
import { PLANS } from '../../src/server/domain/billing/plans.ts';
import { signUp, uniq, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { appendEvents, getText, readChain, setPlan, tamper } from './audit-support.ts';

/**
 * Retention per plan: events past the plan's retention are pruned from the oldest end, a
 * checkpoint (last pruned seq and hash) keeps the rest verifiable, and the privileged prune path
 * refuses anything the plan still keeps.
 */
const DAY_MS = 86_400_000;

let app: TestApp;
beforeAll(async () => {
  // These tests apply retention themselves (the worker's first pass is minutes after start).
  app = await startTestApp({ worker: false });
});
afterAll(async () => {
  vi.useRealTimers();
  await app.close();
});

/** A workspace created `daysAgo` days ago with `oldEvents` more events then, and `newEvents` today. */
async function tenantWithHistory(
  plan: string,
  opts: { daysAgo: number; oldEvents: number; newEvents: number },
) {
  const owner = await signUp(app);
  const subdomain = `r-${uniq()}`;
  vi.useFakeTimers({ toFake: ['Date'] });
  let tenant: TestTenant;
  try {
    vi.setSystemTime(Date.now() - opts.daysAgo * DAY_MS);
    const res = await owner.client.post('/api/v1/tenants', { name: 'Old Agency', subdomain });
    expect(res.status, res.text).toBe(201);
    owner.client.tenant = res.body.id;
    tenant = { id: res.body.id, subdomain, name: 'Old Agency', owner };
    // Kept for ever while it is being set up: with DATABASE_URL the retention workers of other
    // test files' apps share this database, and must not prune half a fixture.
    await setPlan(app, tenant.id, 'agency');
    await appendEvents(app, tenant.id, opts.oldEvents, 'test.old');
  } finally {
    vi.useRealTimers();
  }
  await setPlan(app, tenant.id, plan);
  await appendEvents(app, tenant.id, opts.newEvents, 'test.new');
  return tenant;
}

async function checkpointOf(tenantId: string) {
  return app.database.db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
}

async function verify(tenant: TestTenant) {
  const res = await tenant.owner.client.get('/api/v1/audit-logs/verify');
  expect(res.status, res.text).toBe(200);
  return res.body as { valid: boolean; checked: number; firstInvalidSeq: number | null };
}

describe('audit retention', () => {
  it('the database retention table matches limits.auditRetentionDays of every plan', async () => {
    const rows = await app.database.db.selectFrom('audit_retention_policies').selectAll().execute();
    const inDb = Object.fromEntries(rows.map((r) => [r.plan, r.retention_days]));
    const inCode = Object.fromEntries(PLANS.map((p) => [p.id, p.limits.auditRetentionDays]));
    expect(inDb, 'plans.ts changed: add a migration that updates audit_retention_policies').toEqual(
      inCode,
    );
  });

  it('prunes what the plan no longer keeps, records a checkpoint, and the rest still verifies', async () => {
    const tenant = await tenantWithHistory('free', { daysAgo: 40, oldEvents: 5, newEvents: 3 });
    expect((await verify(tenant)).valid).toBe(true);
    await pruneExpiredAuditEvents(app.database, { tenantIds: [tenant.id] });

    const chain = await readChain(app, tenant.id);
    expect(chain[0]!.seq).toBe(7);
    expect(
      chain.filter((e) => e.action.startsWith('test.old') || e.action === 'tenant.created'),
    ).toEqual([]);
    const checkpoint = await checkpointOf(tenant.id);
    expect(checkpoint).toMatchObject({ pruned_through_seq: 6, pruned_events: 6 });
    expect(checkpoint!.last_hash).toBe(chain[0]!.prev_hash);

    expect(await verify(tenant)).toEqual({
      valid: true,
      checked: chain.length,
      firstInvalidSeq: null,
    });
    const exported = await getText(tenant.owner.client, '/api/v1/audit-logs/export');
    expect(JSON.parse(exported.text.split('\n')[0]!).seq).toBe(7);
    // Pruning again finds nothing more.
    const again = await pruneExpiredAuditEvents(app.database, { tenantIds: [tenant.id] });
    expect(again.pruned[tenant.id]).toBeUndefined();
  });

  it('prunes in batches to the same end state', async () => {
    const tenant = await tenantWithHistory('free', { daysAgo: 31 + 1, oldEvents: 6, newEvents: 1 });
    await pruneExpiredAuditEvents(app.database, { tenantIds: [tenant.id], batchSize: 2 });
    expect(await checkpointOf(tenant.id)).toMatchObject({
      pruned_through_seq: 7,
      pruned_events: 7,
    });
    expect((await verify(tenant)).valid).toBe(true);
  });

  it('keeps what longer plans keep: starter a year, agency for ever', async () => {
    const starter = await tenantWithHistory('starter', { daysAgo: 40, oldEvents: 2, newEvents: 1 });
    const agency = await tenantWithHistory('agency', { daysAgo: 4000, oldEvents: 2, newEvents: 1 });
    await pruneExpiredAuditEvents(app.database, { tenantIds: [starter.id, agency.id] });
    expect(await checkpointOf(starter.id)).toBeUndefined();
    expect(await checkpointOf(agency.id)).toBeUndefined();
    expect((await readChain(app, agency.id))[0]!.seq).toBe(1);
  });

  it('refuses to prune an expired run that does not verify: the evidence stays', async () => {
    const tenant = await tenantWithHistory('agency', { daysAgo: 40, oldEvents: 4, newEvents: 1 });
    await tamper(app, (trx) =>
      trx
        .updateTable('audit_events')
        .set({ target_id: 'rewritten' })
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 3)
        .execute()
        .then(() => undefined),
    );
    await setPlan(app, tenant.id, 'free');
    const report = await pruneExpiredAuditEvents(app.database, { tenantIds: [tenant.id] });
    expect(report.refused[tenant.id]).toBe(3);
    expect(await checkpointOf(tenant.id)).toBeUndefined();
    expect(await verify(tenant)).toMatchObject({ valid: false, firstInvalidSeq: 3 });
  });

  it('after pruning, deleting the first kept event or forging the checkpoint is still caught', async () => {
    const tenant = await tenantWithHistory('free', { daysAgo: 40, oldEvents: 2, newEvents: 3 });
    await pruneExpiredAuditEvents(app.database, { tenantIds: [tenant.id] });
    expect(await checkpointOf(tenant.id)).toMatchObject({ pruned_through_seq: 3 });
    await tamper(app, (trx) =>
      trx
        .deleteFrom('audit_events')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 4)
        .execute()
        .then(() => undefined),
    );
    expect(await verify(tenant)).toMatchObject({ valid: false, firstInvalidSeq: 4 });

    const other = await tenantWithHistory('free', { daysAgo: 40, oldEvents: 2, newEvents: 3 });
    await pruneExpiredAuditEvents(app.database, { tenantIds: [other.id] });
    await tamper(app, (trx) =>
      trx
        .updateTable('audit_checkpoints')
        .set({ last_hash: 'f'.repeat(64) })
        .where('tenant_id', '=', other.id)
        .execute()
        .then(() => undefined),
    );
    expect(await verify(other)).toMatchObject({ valid: false, firstInvalidSeq: 4 });
  });

  it('the prune function refuses what the plan keeps, another tenant, an unverified hash and plans without retention', async () => {
    const tenant = await tenantWithHistory('agency', { daysAgo: 40, oldEvents: 2, newEvents: 2 });
    const other = await tenantWithHistory('agency', { daysAgo: 40, oldEvents: 2, newEvents: 0 });
    const chain = await readChain(app, tenant.id);
    const prune = (scope: string, target: string, seq: number, hash: string) =>
      inTransaction(app.database, { tenantId: scope }, (tx) =>
        sql`SELECT prune_audit_events(${target}::uuid, ${seq}::bigint, ${hash})`.execute(tx),
      );
    await expect(prune(tenant.id, other.id, 3, chain[2]!.hash)).rejects.toThrow(
      /not the transaction's tenant/,
    );
    await expect(prune(tenant.id, tenant.id, 3, chain[2]!.hash)).rejects.toThrow(/for ever/);
    // A workspace of today: all of it within the 30 days the free plan keeps.
    const recent = await signUp(app);
    const created = await recent.client.post('/api/v1/tenants', {
      name: 'New',
      subdomain: `n-${uniq()}`,
    });
    const [first] = await readChain(app, created.body.id);
    await expect(prune(created.body.id, created.body.id, 1, first!.hash)).rejects.toThrow(
      /within the 30 days retention/,
    );

    await setPlan(app, tenant.id, 'free');
    await expect(prune(tenant.id, tenant.id, 3, 'f'.repeat(64))).rejects.toThrow(/verified hash/);
    // Allowed: the old run, named by its verified last hash.
    await prune(tenant.id, tenant.id, 3, chain[2]!.hash);
    expect(await checkpointOf(tenant.id)).toMatchObject({
      pruned_through_seq: 3,
      last_hash: chain[2]!.hash,
    });
    expect((await verify(tenant)).valid).toBe(true);
    expect((await readChain(app, other.id)).length).toBe(3);
  });
});
