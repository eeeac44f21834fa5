import type { ChainedEvent } from './audit-hash.ts';
import type { ActorType } from './record-audit-event.ts';

/** One event as stored (either store): the chained fields, with a Date, plus its chain links. */
export interface StoredAuditEvent extends Omit<ChainedEvent, 'occurredAt' | 'actor'> {
  occurredAt: Date;
  actor: { type: ActorType; id: string | null; label: string | null };
  prevHash: string;
  hash: string;
}

/** The contract's filters. `action` may end in `.*` to match a prefix (`site.*`). */
export interface AuditFilter {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive lower bound of occurredAt. */
  from?: Date;
  /** Exclusive upper bound of occurredAt. */
  toExclusive?: Date;
}

/** The event as the API presents it (CONTRACT.md, Audit log). */
export interface PresentedAuditEvent {
  id: string;
  seq: number;
  occurredAt: string;
  actor: { type: ActorType; id: string | null; label: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  changes: unknown;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** Shapes a stored event for the API. */
export function presentAuditEvent(event: StoredAuditEvent): PresentedAuditEvent {
  return {
    id: event.id,
    seq: event.seq,
    occurredAt: event.occurredAt.toISOString(),
    actor: event.actor,
    action: event.action,
    target: event.target,
    changes: event.changes,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
  };
}

/** The exact value the chain hash was computed over when the event was written. */
export function toChainedEvent(event: StoredAuditEvent): ChainedEvent {
  return {
    tenantId: event.tenantId,
    seq: event.seq,
    id: event.id,
    occurredAt: event.occurredAt.toISOString(),
    actor: { type: event.actor.type, id: event.actor.id, label: event.actor.label },
    action: event.action,
    target: { type: event.target.type, id: event.target.id },
    changes: event.changes ?? null,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
  };
}

/** True when `action` matches the filter (exact, or a `prefix.*` pattern). */
export function actionMatches(pattern: string, action: string): boolean {
  return pattern.endsWith('.*') ? action.startsWith(pattern.slice(0, -1)) : action === pattern;
}
