import { MongoClient, type Collection, type Db, type Filter } from 'mongodb';
import type { AuditFilter, StoredAuditEvent } from './audit-event.ts';
import { GENESIS_HASH } from './audit-hash.ts';
import {
  SCAN_BATCH_SIZE,
  type AuditStore,
  type ChainPoint,
  type ScanOptions,
} from './audit-store.ts';

/**
 * An audit event in MongoDB, keyed by the event id (so re-shipping is a no-op). `changes` is kept
 * as the JSON text PostgreSQL hashed: user-supplied keys (`$x`, `a.b`) are not valid everywhere in
 * BSON, and the chain must be recomputable byte for byte.
 */
export interface MongoAuditEventDoc {
  _id: string;
  tenantId: string;
  seq: number;
  occurredAt: Date;
  actor: StoredAuditEvent['actor'];
  action: string;
  target: StoredAuditEvent['target'];
  changesJson: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

/** Per tenant: the newest shipped event (the head verify checks against) and the prune checkpoint. */
export interface MongoAuditChainDoc {
  _id: string;
  headSeq: number;
  headHash: string;
  checkpointSeq: number;
  checkpointHash: string;
}

/** The MongoDB side of the audit log: one client per process. */
export interface MongoAuditConnection {
  readonly client: MongoClient;
  readonly db: Db;
  readonly events: Collection<MongoAuditEventDoc>;
  readonly chains: Collection<MongoAuditChainDoc>;
  /** Creates the collections' indexes (idempotent). */
  ensureIndexes(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects lazily (the driver connects on first use) to the database named in the URL's path
 * (`roi_spectrum` when the URL names none).
 */
export function createMongoAuditConnection(url: string): MongoAuditConnection {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000, appName: 'roi-spectrum' });
  const dbName =
    new URL(url.replace(/^mongodb\+srv:/, 'mongodb:')).pathname.replace(/^\//, '') ||
    'roi_spectrum';
  const db = client.db(dbName);
  const events = db.collection<MongoAuditEventDoc>('audit_events');
  const chains = db.collection<MongoAuditChainDoc>('audit_chains');
  let indexed: Promise<void> | null = null;
  return {
    client,
    db,
    events,
    chains,
    ensureIndexes() {
      indexed ??= (async () => {
        await events.createIndexes([
          { key: { tenantId: 1, seq: 1 }, name: 'tenant_seq', unique: true },
          { key: { tenantId: 1, action: 1, seq: 1 }, name: 'tenant_action_seq' },
          { key: { tenantId: 1, 'actor.id': 1, seq: 1 }, name: 'tenant_actor_seq' },
          {
            key: { tenantId: 1, 'target.type': 1, 'target.id': 1, seq: 1 },
            name: 'tenant_target_seq',
          },
          { key: { tenantId: 1, occurredAt: 1 }, name: 'tenant_time' },
        ]);
      })().catch((error: unknown) => {
        indexed = null;
        throw error;
      });
      return indexed;
    },
    async close() {
      await client.close();
    },
  };
}

/** A stored event as its MongoDB document. */
export function toMongoDoc(event: StoredAuditEvent): MongoAuditEventDoc {
  return {
    _id: event.id,
    tenantId: event.tenantId,
    seq: event.seq,
    occurredAt: event.occurredAt,
    actor: event.actor,
    action: event.action,
    target: event.target,
    changesJson:
      event.changes === null || event.changes === undefined ? null : JSON.stringify(event.changes),
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

const fromMongoDoc = (doc: MongoAuditEventDoc): StoredAuditEvent => ({
  tenantId: doc.tenantId,
  seq: Number(doc.seq),
  id: doc._id,
  occurredAt: doc.occurredAt,
  actor: { type: doc.actor.type, id: doc.actor.id ?? null, label: doc.actor.label ?? null },
  action: doc.action,
  target: { type: doc.target.type ?? null, id: doc.target.id ?? null },
  changes: doc.changesJson === null ? null : (JSON.parse(doc.changesJson) as unknown),
  ip: doc.ip ?? null,
  userAgent: doc.userAgent ?? null,
  requestId: doc.requestId ?? null,
  prevHash: doc.prevHash,
  hash: doc.hash,
});

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function mongoFilter(tenantId: string, filter: AuditFilter = {}): Filter<MongoAuditEventDoc> {
  const query: Filter<MongoAuditEventDoc> = { tenantId };
  if (filter.action) {
    query.action = filter.action.endsWith('.*')
      ? { $regex: `^${escapeRegex(filter.action.slice(0, -1))}` }
      : filter.action;
  }
  if (filter.actorId) query['actor.id'] = filter.actorId;
  if (filter.targetType) query['target.type'] = filter.targetType;
  if (filter.targetId) query['target.id'] = filter.targetId;
  if (filter.from || filter.toExclusive) {
    query.occurredAt = {
      ...(filter.from ? { $gte: filter.from } : {}),
      ...(filter.toExclusive ? { $lt: filter.toExclusive } : {}),
    };
  }
  return query;
}

/**
 * The audit log as shipped to MongoDB by the relay (src/server/domain/audit/relay-audit-events.ts).
 * It trails PostgreSQL by the relay's interval; its head and checkpoint are the relay's own
 * record of what it shipped, so verification covers exactly what MongoDB holds.
 */
export function createMongoAuditStore(mongo: MongoAuditConnection): AuditStore {
  return {
    kind: 'mongodb',

    async listEvents(tenantId, filter, page) {
      const query = mongoFilter(tenantId, filter);
      if (page.beforeSeq !== undefined) query.seq = { $lt: page.beforeSeq };
      const docs = await mongo.events.find(query).sort({ seq: -1 }).limit(page.limit).toArray();
      return docs.map(fromMongoDoc);
    },

    async *scanEvents(tenantId: string, options: ScanOptions) {
      const batchSize = options.batchSize ?? SCAN_BATCH_SIZE;
      const query = mongoFilter(tenantId, options.filter);
      query.seq = {
        $gt: options.afterSeq ?? 0,
        ...(options.throughSeq !== undefined ? { $lte: options.throughSeq } : {}),
      };
      const cursor = mongo.events.find(query).sort({ seq: 1 }).batchSize(batchSize);
      try {
        let batch: StoredAuditEvent[] = [];
        for await (const doc of cursor) {
          batch.push(fromMongoDoc(doc));
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length > 0) yield batch;
      } finally {
        await cursor.close();
      }
    },

    async readChainHead(tenantId): Promise<ChainPoint | null> {
      const chain = await mongo.chains.findOne({ _id: tenantId });
      return chain && chain.headSeq > 0 ? { seq: chain.headSeq, hash: chain.headHash } : null;
    },

    async readCheckpoint(tenantId): Promise<ChainPoint> {
      const chain = await mongo.chains.findOne({ _id: tenantId });
      return chain && chain.checkpointSeq > 0
        ? { seq: chain.checkpointSeq, hash: chain.checkpointHash }
        : { seq: 0, hash: GENESIS_HASH };
    },
  };
}
