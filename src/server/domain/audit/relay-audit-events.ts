import { sql } from 'kysely';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { Database } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import type { MongoAuditConnection, MongoAuditEventDoc } from './mongo-audit-store.ts';
import { toMongoDoc } from './mongo-audit-store.ts';
import { createPostgresAuditStore } from './postgres-audit-store.ts';

export interface RelayOptions {
  /** Events per MongoDB round trip. */
  batchSize?: number;
  /** Tenants looked at per pass. */
  tenantsPerPass?: number;
  /** Passes before returning (a busy log is drained over several calls). */
  maxPasses?: number;
}

/**
 * Ships what PostgreSQL holds beyond each tenant's relay cursor to MongoDB: first any prune
 * (events up to the new checkpoint are deleted there too), then the next events in seq order,
 * upserted by event id, then the chain head. The cursor row is locked for the tenant's batch (one
 * relay per tenant at a time, across processes) and committed only after MongoDB acknowledged, so
 * a crash re-ships a batch, which the upserts by id make harmless. Returns the events shipped.
 */
export async function relayAuditEvents(
  database: Database,
  mongo: MongoAuditConnection,
  options: RelayOptions = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 1000;
  const tenantsPerPass = options.tenantsPerPass ?? 100;
  await mongo.ensureIndexes();
  let shipped = 0;
  for (let pass = 0; pass < (options.maxPasses ?? 20); pass++) {
    const backlog = await auditRelayBacklog(database, tenantsPerPass);
    if (backlog.length === 0) break;
    let passShipped = 0;
    for (const tenantId of backlog)
      passShipped += await relayTenant(database, mongo, tenantId, batchSize);
    shipped += passShipped;
    if (passShipped === 0 && backlog.length < tenantsPerPass) break;
  }
  return shipped;
}

/** Tenants whose chain (or checkpoint) is ahead of what was shipped: the relay's work list. */
export async function auditRelayBacklog(database: Database, limit: number): Promise<string[]> {
  return inTransaction(database, { workerScope: 'audit-relay' }, async (tx) => {
    const result = await sql<{ tenant_id: string }>`
      SELECT h.tenant_id
      FROM audit_chain_heads h
      LEFT JOIN audit_relay_cursors r ON r.tenant_id = h.tenant_id
      LEFT JOIN audit_checkpoints c ON c.tenant_id = h.tenant_id
      WHERE h.last_seq > coalesce(r.shipped_seq, 0)
         OR coalesce(c.pruned_through_seq, 0) > coalesce(r.shipped_checkpoint_seq, 0)
      ORDER BY h.tenant_id
      LIMIT ${limit}`.execute(tx);
    return result.rows.map((r) => r.tenant_id);
  });
}

async function relayTenant(
  database: Database,
  mongo: MongoAuditConnection,
  tenantId: string,
  batchSize: number,
): Promise<number> {
  return inTransaction(database, { tenantId }, async (tx) => {
    await tx
      .insertInto('audit_relay_cursors')
      .values({ tenant_id: tenantId })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    const cursor = await tx
      .selectFrom('audit_relay_cursors')
      .select(['shipped_seq', 'shipped_checkpoint_seq'])
      .where('tenant_id', '=', tenantId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    let shippedSeq = Number(cursor.shipped_seq);
    let shippedCheckpointSeq = Number(cursor.shipped_checkpoint_seq);
    // MongoDB lost the tenant (restored from an old backup, dropped): ship it again from the start.
    if (
      shippedSeq > 0 &&
      !(await mongo.chains.findOne({ _id: tenantId }, { projection: { _id: 1 } }))
    ) {
      shippedSeq = 0;
      shippedCheckpointSeq = 0;
    }
    const store = createPostgresAuditStore(tx);

    const checkpoint = await store.readCheckpoint(tenantId);
    if (checkpoint.seq > shippedCheckpointSeq) {
      await mongo.events.deleteMany({ tenantId, seq: { $lte: checkpoint.seq } });
      const headBehind = shippedSeq < checkpoint.seq;
      await mongo.chains.updateOne(
        { _id: tenantId },
        {
          $set: {
            checkpointSeq: checkpoint.seq,
            checkpointHash: checkpoint.hash,
            // Everything shipped so far was pruned: the checkpoint is the head until more ships.
            ...(headBehind ? { headSeq: checkpoint.seq, headHash: checkpoint.hash } : {}),
          },
          ...(headBehind ? {} : { $setOnInsert: { headSeq: 0, headHash: checkpoint.hash } }),
        },
        { upsert: true },
      );
      if (headBehind) shippedSeq = checkpoint.seq;
      await tx
        .updateTable('audit_relay_cursors')
        .set({
          shipped_checkpoint_seq: checkpoint.seq,
          shipped_seq: shippedSeq,
          updated_at: new Date(),
        })
        .where('tenant_id', '=', tenantId)
        .execute();
    }

    let batch = null;
    for await (const events of store.scanEvents(tenantId, { afterSeq: shippedSeq, batchSize })) {
      batch = events;
      break;
    }
    if (!batch || batch.length === 0) return 0;
    const operations: AnyBulkWriteOperation<MongoAuditEventDoc>[] = batch.map((event) => {
      const { _id, ...rest } = toMongoDoc(event);
      return { updateOne: { filter: { _id }, update: { $setOnInsert: rest }, upsert: true } };
    });
    await mongo.events.bulkWrite(operations, { ordered: true });
    const last = batch[batch.length - 1]!;
    await mongo.chains.updateOne(
      { _id: tenantId },
      {
        $set: { headSeq: last.seq, headHash: last.hash },
        $setOnInsert: { checkpointSeq: 0, checkpointHash: checkpoint.hash },
      },
      { upsert: true },
    );
    await tx
      .updateTable('audit_relay_cursors')
      .set({ shipped_seq: last.seq, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .execute();
    return batch.length;
  });
}
