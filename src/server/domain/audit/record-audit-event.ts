import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { chainHash, GENESIS_HASH, type ChainedEvent } from './audit-hash.ts';

export type ActorType = 'user' | 'api_key' | 'system' | 'stripe';

export interface Actor {
  type: ActorType;
  id: string | null;
  label: string | null;
}

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

export interface AuditEventInput {
  action: string;
  target?: { type: string; id: string | null };
  /** Changed fields, `{field: {from, to}}`, or any JSON detail. Never secrets. */
  changes?: unknown;
}

/**
 * Appends an event to the tenant's hash chain inside the caller's transaction, so the event
 * commits or rolls back with the change it records. The chain head row is locked for the rest of
 * the transaction: concurrent writers on one tenant queue up and never fork the chain.
 */
/**
 * Locks the tenant's audit chain head for the rest of the transaction, as recording an event
 * does: for a transaction that must take it before another lock (see updateTenantSettings).
 */
export async function lockAuditChain(tx: Tx, tenantId: string): Promise<void> {
  await chainHead(tx, tenantId);
}

/** The tenant's chain head, created at the genesis hash if missing, locked. */
async function chainHead(tx: Tx, tenantId: string) {
  const head = await sql<{ last_seq: number; last_hash: string }>`
    INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash)
    VALUES (${tenantId}, 0, ${GENESIS_HASH})
    ON CONFLICT (tenant_id) DO UPDATE SET last_seq = audit_chain_heads.last_seq
    RETURNING last_seq, last_hash`.execute(tx);
  return head.rows[0]!;
}

export async function recordAuditEvent(
  tx: Tx,
  tenantId: string,
  actor: Actor,
  meta: RequestMeta,
  input: AuditEventInput,
): Promise<{ id: string; seq: number }> {
  const { last_seq, last_hash } = await chainHead(tx, tenantId);
  // Hash exactly what jsonb will hand back: the JSON form (Dates as ISO text, undefined dropped).
  const changesJson = input.changes === undefined ? undefined : JSON.stringify(input.changes);
  const event: ChainedEvent = {
    tenantId,
    seq: Number(last_seq) + 1,
    id: randomUUID(),
    occurredAt: new Date().toISOString(),
    actor: { type: actor.type, id: actor.id, label: actor.label },
    action: input.action,
    target: { type: input.target?.type ?? null, id: input.target?.id ?? null },
    changes: changesJson === undefined ? null : (JSON.parse(changesJson) as unknown),
    ip: meta.ip,
    userAgent: meta.userAgent,
    requestId: meta.requestId,
  };
  const hash = chainHash(last_hash, event);
  await sql`
    WITH inserted AS (
      INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label,
        action, target_type, target_id, changes, ip, user_agent, request_id, prev_hash, hash)
      VALUES (${tenantId}, ${event.seq}, ${event.id}, ${event.occurredAt}, ${actor.type},
        ${actor.id}, ${actor.label}, ${event.action}, ${event.target.type}, ${event.target.id},
        ${event.changes === null ? null : changesJson}::jsonb, ${meta.ip},
        ${meta.userAgent}, ${meta.requestId}, ${last_hash}, ${hash})
      RETURNING seq
    )
    UPDATE audit_chain_heads SET last_seq = (SELECT seq FROM inserted), last_hash = ${hash}
    WHERE tenant_id = ${tenantId}`.execute(tx);
  return { id: event.id, seq: event.seq };
}

/**
 * The `{field: {from, to}}` map of the fields that differ between `before` and `after`,
 * restricted to `fields`. Undefined in `after` means "not changed".
 */
export function diffChanges<T extends object>(
  before: T,
  after: Partial<T>,
  fields: readonly (keyof T & string)[],
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of fields) {
    const to = after[field];
    if (to === undefined) continue;
    const from = before[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}
