import type { Tx } from '../../data/database.ts';
import type { AuditStore } from './audit-store.ts';
import {
  createMongoAuditConnection,
  createMongoAuditStore,
  type MongoAuditConnection,
} from './mongo-audit-store.ts';
import { createPostgresAuditStore } from './postgres-audit-store.ts';

/** The audit log's read side of one process (held in AppServices). */
export interface AuditBackend {
  /** The MongoDB copy; null without MONGODB_URL. */
  readonly mongo: MongoAuditConnection | null;
  /** Where the read, export and verify endpoints read: MongoDB when configured, else `tx`. */
  storeFor(tx: Tx): AuditStore;
  close(): Promise<void>;
}

/** Builds the audit read side from the configuration (MongoDB connects lazily, on first use). */
export function createAuditBackend(config: { MONGODB_URL?: string }): AuditBackend {
  const mongo = config.MONGODB_URL ? createMongoAuditConnection(config.MONGODB_URL) : null;
  const mongoStore = mongo ? createMongoAuditStore(mongo) : null;
  return {
    mongo,
    storeFor: (tx) => mongoStore ?? createPostgresAuditStore(tx),
    async close() {
      await mongo?.close();
    },
  };
}
