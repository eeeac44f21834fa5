import type { AuditFilter, StoredAuditEvent } from './audit-event.ts';

/** A point of a tenant's chain: the seq of an event and its hash. */
export interface ChainPoint {
  seq: number;
  hash: string;
}

export interface ScanOptions {
  filter?: AuditFilter;
  /** Only events with a larger seq. */
  afterSeq?: number;
  /** Only events up to this seq (inclusive). */
  throughSeq?: number;
  /** Events per batch (memory bound). */
  batchSize?: number;
}

/**
 * Where the audit log is read from: PostgreSQL (the source of truth, written in the same
 * transaction as every change) or MongoDB (a copy shipped by the relay, when MONGODB_URL is set).
 * Listing, export and verification are written once against this interface.
 */
export interface AuditStore {
  readonly kind: 'postgres' | 'mongodb';
  /** Up to `limit` events matching `filter`, newest first, with a seq below `beforeSeq` if given. */
  listEvents(
    tenantId: string,
    filter: AuditFilter,
    page: { limit: number; beforeSeq?: number },
  ): Promise<StoredAuditEvent[]>;
  /** Events in ascending seq order, in batches: memory stays bounded by the batch size. */
  scanEvents(tenantId: string, options: ScanOptions): AsyncIterable<StoredAuditEvent[]>;
  /** The newest event this store holds for the tenant (its chain head), or null. */
  readChainHead(tenantId: string): Promise<ChainPoint | null>;
  /** The last pruned event: verification starts after it (seq 0 and the genesis hash if none). */
  readCheckpoint(tenantId: string): Promise<ChainPoint>;
}

/** The default number of events per batch when scanning (export, verify). */
export const SCAN_BATCH_SIZE = 5000;
