import type { SelectQueryBuilder } from 'kysely';
import type { Tx } from '../../data/database.ts';
import type { DB } from '../../data/schema.ts';
import type { AuditFilter, StoredAuditEvent } from './audit-event.ts';
import { GENESIS_HASH } from './audit-hash.ts';
import {
  SCAN_BATCH_SIZE,
  type AuditStore,
  type ChainPoint,
  type ScanOptions,
} from './audit-store.ts';

type EventQuery = SelectQueryBuilder<DB, 'audit_events', object>;

const COLUMNS = [
  'tenant_id',
  'seq',
  'id',
  'occurred_at',
  'actor_type',
  'actor_id',
  'actor_label',
  'action',
  'target_type',
  'target_id',
  'changes',
  'ip',
  'user_agent',
  'request_id',
  'prev_hash',
  'hash',
] as const;

interface EventRow {
  tenant_id: string;
  seq: number;
  id: string;
  occurred_at: Date;
  actor_type: StoredAuditEvent['actor']['type'];
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  changes: unknown;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

const toEvent = (row: EventRow): StoredAuditEvent => ({
  tenantId: row.tenant_id,
  seq: Number(row.seq),
  id: row.id,
  occurredAt: row.occurred_at,
  actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
  action: row.action,
  target: { type: row.target_type, id: row.target_id },
  changes: row.changes ?? null,
  ip: row.ip,
  userAgent: row.user_agent,
  requestId: row.request_id,
  prevHash: row.prev_hash,
  hash: row.hash,
});

/** LIKE pattern for a `prefix.*` action filter, with LIKE's own wildcards escaped. */
const likePrefix = (pattern: string) =>
  `${pattern.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function applyFilter(query: EventQuery, tenantId: string, filter: AuditFilter = {}): EventQuery {
  let q = query.where('tenant_id', '=', tenantId);
  if (filter.action) {
    q = filter.action.endsWith('.*')
      ? q.where('action', 'like', likePrefix(filter.action))
      : q.where('action', '=', filter.action);
  }
  if (filter.actorId) q = q.where('actor_id', '=', filter.actorId);
  if (filter.targetType) q = q.where('target_type', '=', filter.targetType);
  if (filter.targetId) q = q.where('target_id', '=', filter.targetId);
  if (filter.from) q = q.where('occurred_at', '>=', filter.from);
  if (filter.toExclusive) q = q.where('occurred_at', '<', filter.toExclusive);
  return q;
}

/**
 * The audit log in PostgreSQL, read through the request's transaction (scoped to the tenant by
 * row-level security; every query also filters by tenant). Scans page by keyset on seq, so they
 * run in constant memory on both backends (PGlite has no server-side cursors).
 */
export function createPostgresAuditStore(tx: Tx): AuditStore {
  return {
    kind: 'postgres',

    async listEvents(tenantId, filter, page) {
      let q = applyFilter(tx.selectFrom('audit_events'), tenantId, filter);
      if (page.beforeSeq !== undefined) q = q.where('seq', '<', page.beforeSeq);
      const rows = await q.select(COLUMNS).orderBy('seq', 'desc').limit(page.limit).execute();
      return (rows as EventRow[]).map(toEvent);
    },

    async *scanEvents(tenantId: string, options: ScanOptions) {
      const batchSize = options.batchSize ?? SCAN_BATCH_SIZE;
      let after = options.afterSeq ?? 0;
      for (;;) {
        let q = applyFilter(tx.selectFrom('audit_events'), tenantId, options.filter).where(
          'seq',
          '>',
          after,
        );
        if (options.throughSeq !== undefined) q = q.where('seq', '<=', options.throughSeq);
        const rows = (await q
          .select(COLUMNS)
          .orderBy('seq', 'asc')
          .limit(batchSize)
          .execute()) as EventRow[];
        if (rows.length === 0) return;
        const batch = rows.map(toEvent);
        yield batch;
        if (rows.length < batchSize) return;
        after = batch[batch.length - 1]!.seq;
      }
    },

    async readChainHead(tenantId): Promise<ChainPoint | null> {
      const head = await tx
        .selectFrom('audit_chain_heads')
        .select(['last_seq', 'last_hash'])
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return head && Number(head.last_seq) > 0
        ? { seq: Number(head.last_seq), hash: head.last_hash }
        : null;
    },

    async readCheckpoint(tenantId): Promise<ChainPoint> {
      const row = await tx
        .selectFrom('audit_checkpoints')
        .select(['pruned_through_seq', 'last_hash'])
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return row
        ? { seq: Number(row.pruned_through_seq), hash: row.last_hash }
        : { seq: 0, hash: GENESIS_HASH };
    },
  };
}
