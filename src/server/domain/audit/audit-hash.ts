import { createHash } from 'node:crypto';

/** The hash that precedes a tenant's first event. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEvent {
  tenantId: string;
  seq: number;
  id: string;
  occurredAt: string;
  actor: { type: string; id: string | null; label: string | null };
  action: string;
  target: { type: string | null; id: string | null };
  changes: unknown;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** JSON with object keys sorted at every level: one byte string per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  // Dates and other values with toJSON encode as JSON.stringify would store them.
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return canonicalJson(toJSON.call(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 over the previous hash and the canonical encoding of the event (hex). */
export function chainHash(prevHash: string, event: ChainedEvent): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(event)).digest('hex');
}
