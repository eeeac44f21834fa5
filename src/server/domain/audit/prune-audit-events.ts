import { sql } from 'kysely';
import type { Database } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import { planById } from '../billing/plans.ts';
import { toChainedEvent } from './audit-event.ts';
import { chainHash } from './audit-hash.ts';
import { createPostgresAuditStore } from './postgres-audit-store.ts';

const DAY_MS = 86_400_000;
/** Clock slack between this process and the database: never ask to prune at the exact edge. */
const CLOCK_MARGIN_MS = 3_600_000;

export interface PruneReport {
  /** Events deleted, per tenant that had any. */
  pruned: Record<string, number>;
  /** Tenants whose expired run failed verification: nothing was pruned there (the evidence stays). */
  refused: Record<string, number>;
}

/**
 * Applies each tenant's plan retention (`limits.auditRetentionDays`): the oldest run of its chain
 * that is past retention is verified here, then deleted by prune_audit_events() (migration 0004),
 * which re-checks contiguity, age against the plan and the verified hash as the table's owner and
 * moves the tenant's checkpoint in the same transaction. One transaction per batch keeps writers of
 * the embedded database waiting briefly at most.
 */
export async function pruneExpiredAuditEvents(
  database: Database,
  options: { now?: Date; batchSize?: number; tenantIds?: string[] } = {},
): Promise<PruneReport> {
  const batchSize = options.batchSize ?? 5000;
  const now = options.now ?? new Date();
  const tenants = await inTransaction(database, {}, async (tx) => {
    let q = tx.selectFrom('tenants').select(['id', 'plan']).orderBy('id');
    if (options.tenantIds)
      q = q.where('id', 'in', options.tenantIds.length ? options.tenantIds : ['']);
    return q.execute();
  });
  const report: PruneReport = { pruned: {}, refused: {} };
  for (const tenant of tenants) {
    const days = planById(tenant.plan).limits.auditRetentionDays;
    if (days === null) continue;
    const cutoff = new Date(now.getTime() - days * DAY_MS - CLOCK_MARGIN_MS);
    for (;;) {
      const outcome = await pruneBatch(database, tenant.id, cutoff, batchSize);
      if (outcome.refusedAt !== null) {
        report.refused[tenant.id] = outcome.refusedAt;
        break;
      }
      if (outcome.pruned > 0)
        report.pruned[tenant.id] = (report.pruned[tenant.id] ?? 0) + outcome.pruned;
      if (!outcome.more) break;
    }
  }
  return report;
}

async function pruneBatch(
  database: Database,
  tenantId: string,
  cutoff: Date,
  batchSize: number,
): Promise<{ pruned: number; more: boolean; refusedAt: number | null }> {
  return inTransaction(database, { tenantId }, async (tx) => {
    const store = createPostgresAuditStore(tx);
    const checkpoint = await store.readCheckpoint(tenantId);
    let expectedSeq = checkpoint.seq + 1;
    let prevHash = checkpoint.hash;
    let through: { seq: number; hash: string } | null = null;
    let reachedRetained = false;
    let count = 0;
    for await (const batch of store.scanEvents(tenantId, { afterSeq: checkpoint.seq, batchSize })) {
      for (const event of batch) {
        if (event.occurredAt >= cutoff) {
          reachedRetained = true;
          break;
        }
        if (event.seq !== expectedSeq || event.prevHash !== prevHash)
          return { pruned: 0, more: false, refusedAt: expectedSeq };
        const hash = chainHash(prevHash, toChainedEvent(event));
        if (hash !== event.hash) return { pruned: 0, more: false, refusedAt: event.seq };
        through = { seq: event.seq, hash };
        prevHash = hash;
        expectedSeq += 1;
        count += 1;
      }
      break; // one batch per transaction
    }
    if (!through) return { pruned: 0, more: false, refusedAt: null };
    const result = await sql<{ pruned: number }>`
      SELECT prune_audit_events(${tenantId}::uuid, ${through.seq}::bigint, ${through.hash}) AS pruned`.execute(
      tx,
    );
    const pruned = Number(result.rows[0]?.pruned ?? 0);
    return { pruned, more: !reachedRetained && count === batchSize, refusedAt: null };
  });
}
