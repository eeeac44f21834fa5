import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { chainHash, GENESIS_HASH } from '../../src/server/domain/audit/audit-hash.ts';
import { toChainedEvent } from '../../src/server/domain/audit/audit-event.ts';
import { createPostgresAuditStore } from '../../src/server/domain/audit/postgres-audit-store.ts';
import { recordAuditEvent } from '../../src/server/domain/audit/record-audit-event.ts';
import { verifyAuditChain } from '../../src/server/domain/audit/verify-audit-chain.ts';
import { buildTenant, type TestTenant } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { appendEvents, headSeq, readChain, tamper } from './audit-support.ts';

/**
 * The chain in PostgreSQL: tampering with stored rows is found at the right seq, concurrent
 * writers never fork it, and the app role cannot rewrite it.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

async function verify(tenant: TestTenant) {
  const res = await tenant.owner.client.get('/api/v1/audit-logs/verify');
  expect(res.status, res.text).toBe(200);
  return res.body as { valid: boolean; checked: number; firstInvalidSeq: number | null };
}

/** A tenant with a chain of 8 events (tenant.created + 7), and a bystander tenant beside it. */
async function chainOfEight() {
  const [tenant, bystander] = await Promise.all([buildTenant(app), buildTenant(app)]);
  await appendEvents(app, tenant.id, 7);
  await appendEvents(app, bystander.id, 3);
  expect(await headSeq(app, tenant.id)).toBe(8);
  return { tenant, bystander };
}

describe('tampering with stored events is detected at the right seq', () => {
  it('edit a field', async () => {
    const { tenant, bystander } = await chainOfEight();
    await tamper(app, (trx) =>
      trx
        .updateTable('audit_events')
        .set({ changes: JSON.stringify({ n: { from: 0, to: 999 } }) })
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 4)
        .execute()
        .then(() => undefined),
    );
    expect(await verify(tenant)).toEqual({ valid: false, checked: 3, firstInvalidSeq: 4 });
    expect(await verify(bystander)).toEqual({ valid: true, checked: 4, firstInvalidSeq: null });
  });

  it('edit the time by one millisecond, or the actor', async () => {
    const { tenant } = await chainOfEight();
    await tamper(app, async (trx) => {
      await sql`UPDATE audit_events SET occurred_at = occurred_at + interval '1 millisecond'
                WHERE tenant_id = ${tenant.id} AND seq = 6`.execute(trx);
      await sql`UPDATE audit_events SET actor_label = 'someone else' WHERE tenant_id = ${tenant.id} AND seq = 7`.execute(
        trx,
      );
    });
    expect(await verify(tenant)).toMatchObject({ valid: false, firstInvalidSeq: 6 });
  });

  it('edit a field and recompute that row’s hash: the next event no longer links to it', async () => {
    const { tenant } = await chainOfEight();
    const rows = await app.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('seq', '=', 5)
      .execute();
    const store = createPostgresAuditStore(app.database.db as never);
    const [event] = await (async () => {
      for await (const batch of store.scanEvents(tenant.id, { afterSeq: 4, throughSeq: 5 }))
        return batch;
      return [];
    })();
    const forged = { ...toChainedEvent(event!), action: 'forged.action' };
    await tamper(app, (trx) =>
      trx
        .updateTable('audit_events')
        .set({ action: 'forged.action', hash: chainHash(rows[0]!.prev_hash, forged) })
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 5)
        .execute()
        .then(() => undefined),
    );
    expect(await verify(tenant)).toEqual({ valid: false, checked: 5, firstInvalidSeq: 6 });
  });

  it('delete a row', async () => {
    const { tenant, bystander } = await chainOfEight();
    await tamper(app, (trx) =>
      trx
        .deleteFrom('audit_events')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 3)
        .execute()
        .then(() => undefined),
    );
    expect(await verify(tenant)).toEqual({ valid: false, checked: 2, firstInvalidSeq: 3 });
    expect((await verify(bystander)).valid).toBe(true);
  });

  it('swap two rows', async () => {
    const { tenant, bystander } = await chainOfEight();
    await tamper(app, async (trx) => {
      await sql`UPDATE audit_events SET seq = -1 WHERE tenant_id = ${tenant.id} AND seq = 3`.execute(
        trx,
      );
      await sql`UPDATE audit_events SET seq = 3 WHERE tenant_id = ${tenant.id} AND seq = 6`.execute(
        trx,
      );
      await sql`UPDATE audit_events SET seq = 6 WHERE tenant_id = ${tenant.id} AND seq = -1`.execute(
        trx,
      );
    });
    expect(await verify(tenant)).toEqual({ valid: false, checked: 2, firstInvalidSeq: 3 });
    expect((await verify(bystander)).valid).toBe(true);
  });

  it('swap the contents of two rows, keeping their seq and links', async () => {
    const { tenant } = await chainOfEight();
    await tamper(app, async (trx) => {
      await sql`UPDATE audit_events a SET target_id = b.target_id, changes = b.changes
                FROM audit_events b
                WHERE a.tenant_id = ${tenant.id} AND b.tenant_id = a.tenant_id
                  AND ((a.seq = 4 AND b.seq = 5) OR (a.seq = 5 AND b.seq = 4))`.execute(trx);
    });
    expect(await verify(tenant)).toEqual({ valid: false, checked: 3, firstInvalidSeq: 4 });
  });

  it('truncate the tail', async () => {
    const { tenant, bystander } = await chainOfEight();
    await tamper(app, (trx) =>
      trx
        .deleteFrom('audit_events')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '>=', 6)
        .execute()
        .then(() => undefined),
    );
    expect(await verify(tenant)).toEqual({ valid: false, checked: 5, firstInvalidSeq: 6 });
    expect((await verify(bystander)).valid).toBe(true);
  });

  it('truncate the tail and roll the chain head back too: the head no longer matches the next write', async () => {
    const { tenant } = await chainOfEight();
    const chain = await readChain(app, tenant.id);
    await tamper(app, async (trx) => {
      await trx
        .deleteFrom('audit_events')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '>=', 6)
        .execute();
      await trx
        .updateTable('audit_chain_heads')
        .set({ last_seq: 5, last_hash: chain[3]!.hash })
        .where('tenant_id', '=', tenant.id)
        .execute();
    });
    // The head says 5 but names event 4's hash: caught at the last event.
    expect(await verify(tenant)).toMatchObject({ valid: false, firstInvalidSeq: 5 });
  });

  it('keeps finding the tampered seq while new events are appended after it', async () => {
    const { tenant } = await chainOfEight();
    await tamper(app, (trx) =>
      trx
        .deleteFrom('audit_events')
        .where('tenant_id', '=', tenant.id)
        .where('seq', '=', 2)
        .execute()
        .then(() => undefined),
    );
    await appendEvents(app, tenant.id, 3);
    expect(await verify(tenant)).toMatchObject({ valid: false, firstInvalidSeq: 2 });
  });
});

describe('concurrent writers', () => {
  it('100 concurrent writers on one tenant make one gap-free, valid chain', async () => {
    const tenant = await buildTenant(app);
    const writes = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0
        ? tenant.owner.client
            // Every tenth also names the currency: the path that locks the tenant row fully.
            .patch('/api/v1/tenant', {
              name: `Concurrent ${i}`,
              ...(i % 10 === 0 ? { currency: 'USD' } : {}),
            })
            .then((r) => expect(r.status, r.text).toBe(200))
        : inTransaction(app.database, { tenantId: tenant.id }, (tx) =>
            recordAuditEvent(
              tx,
              tenant.id,
              { type: 'system', id: null, label: 'writer' },
              { ip: null, userAgent: null, requestId: null },
              {
                action: 'test.concurrent',
                changes: { i },
              },
            ),
          ),
    );
    await Promise.all(writes);
    const chain = await readChain(app, tenant.id);
    expect(chain.map((e) => e.seq)).toEqual(Array.from({ length: chain.length }, (_, i) => i + 1));
    expect(chain.filter((e) => e.action === 'test.concurrent')).toHaveLength(50);
    expect(chain.filter((e) => e.action === 'tenant.updated').length).toBeGreaterThanOrEqual(49);
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.prev_hash).toBe(chain[i - 1]!.hash);
    expect(chain[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(await headSeq(app, tenant.id)).toBe(chain.length);
    expect(await verify(tenant)).toEqual({
      valid: true,
      checked: chain.length,
      firstInvalidSeq: null,
    });
  });
});

describe('append-only storage', () => {
  it('the app role can insert and read audit events but not update, delete or truncate them', async () => {
    const tenant = await buildTenant(app);
    const privileges = await sql<{
      update: boolean;
      delete: boolean;
      truncate: boolean;
      insert: boolean;
      select: boolean;
    }>`
      SELECT has_table_privilege('roi_app', 'audit_events', 'UPDATE') AS update,
             has_table_privilege('roi_app', 'audit_events', 'DELETE') AS delete,
             has_table_privilege('roi_app', 'audit_events', 'TRUNCATE') AS truncate,
             has_table_privilege('roi_app', 'audit_events', 'INSERT') AS insert,
             has_table_privilege('roi_app', 'audit_events', 'SELECT') AS select`.execute(
      app.database.db,
    );
    expect(privileges.rows[0]).toEqual({
      update: false,
      delete: false,
      truncate: false,
      insert: true,
      select: true,
    });
    const asApp = (statement: ReturnType<typeof sql>) =>
      inTransaction(app.database, { tenantId: tenant.id }, (tx) => statement.execute(tx));
    await expect(
      asApp(sql`UPDATE audit_events SET action = 'x' WHERE tenant_id = ${tenant.id}`),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asApp(sql`DELETE FROM audit_events WHERE tenant_id = ${tenant.id}`),
    ).rejects.toThrow(/permission denied/);
    await expect(asApp(sql`TRUNCATE audit_events`)).rejects.toThrow(/permission denied/);
    await expect(
      inTransaction(app.database, { tenantId: tenant.id }, (tx) =>
        sql`SELECT prune_audit_events(${tenant.id}::uuid, 1, 'x')`.execute(tx),
      ),
    ).rejects.toThrow(/retention|verified hash/);
    expect((await verify(tenant)).valid).toBe(true);
  });

  it('the owner role is stopped by the guard trigger too (only a superuser switching triggers off gets through)', async () => {
    const tenant = await buildTenant(app);
    await expect(
      sql`UPDATE audit_events SET action = 'x' WHERE tenant_id = ${tenant.id}`.execute(
        app.database.db,
      ),
    ).rejects.toThrow(/append-only/);
    await expect(
      sql`DELETE FROM audit_events WHERE tenant_id = ${tenant.id}`.execute(app.database.db),
    ).rejects.toThrow(/append-only/);
    expect(await readChain(app, tenant.id)).toHaveLength(1);
  });
});

describe('canonical encoding', () => {
  it('events whose changes hold Dates, nested objects in any key order and undefined fields still verify', async () => {
    const tenant = await buildTenant(app);
    await inTransaction(app.database, { tenantId: tenant.id }, (tx) =>
      recordAuditEvent(
        tx,
        tenant.id,
        { type: 'stripe', id: 'evt_1', label: 'Stripe' },
        { ip: null, userAgent: null, requestId: null },
        {
          action: 'test.shapes',
          target: { type: 'subscription', id: 'sub_1' },
          changes: {
            zeta: { to: new Date('2026-01-02T03:04:05.678Z'), from: null },
            alpha: { nested: { b: 2, a: [3, { y: 1, x: 0 }] }, skipped: undefined },
            unicode: 'Zürich ✓ \u2028',
            big: 2 ** 53 - 1,
            fraction: 0.1 + 0.2,
          },
        },
      ),
    );
    const result = await inTransaction(app.database, { tenantId: tenant.id }, (tx) =>
      verifyAuditChain(createPostgresAuditStore(tx), tenant.id),
    );
    expect(result).toMatchObject({ valid: true, checked: 2 });
    const list = await tenant.owner.client.get('/api/v1/audit-logs?action=test.shapes');
    expect(list.body.data[0].changes.zeta.to).toBe('2026-01-02T03:04:05.678Z');
    expect(list.body.data[0].changes.alpha).toEqual({ nested: { b: 2, a: [3, { y: 1, x: 0 }] } });
  });
});
