import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import {
  createMongoAuditStore,
  type MongoAuditConnection,
} from '../../src/server/domain/audit/mongo-audit-store.ts';
import { createPostgresAuditStore } from '../../src/server/domain/audit/postgres-audit-store.ts';
import { pruneExpiredAuditEvents } from '../../src/server/domain/audit/prune-audit-events.ts';
import { relayAuditEvents } from '../../src/server/domain/audit/relay-audit-events.ts';
import { verifyAuditChain } from '../../src/server/domain/audit/verify-audit-chain.ts';
import { buildTenant, signUp, uniq } from '../support/factories.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import {
  appendEvents,
  dropMongoTestDatabase,
  MONGO_SKIP_REASON,
  MONGODB_URL,
  mongoTestUrl,
  readChain,
  setPlan,
} from './audit-support.ts';

/**
 * The relay to MongoDB: idempotent by event id, in seq order per tenant, resuming after a crash,
 * shipping prunes; and verification of the copy MongoDB holds. Needs a MongoDB server
 * (MONGODB_URL); none can be installed on the build machines, so there it is skipped, loudly.
 */
if (!MONGODB_URL) {
  describe(`MongoDB relay — ${MONGO_SKIP_REASON}`, () => {
    it.skip(MONGO_SKIP_REASON, () => {});
  });
  console.warn(`[tests/audit/mongo-relay] ${MONGO_SKIP_REASON}`);
}

describe.runIf(Boolean(MONGODB_URL))('MongoDB relay', () => {
  let app: TestApp;
  let mongo: MongoAuditConnection;
  beforeAll(async () => {
    // No worker: these tests run the relay themselves, to see each step.
    app = await startTestApp({ env: { MONGODB_URL: mongoTestUrl() }, worker: false });
    mongo = app.services.audit.mongo!;
  });
  afterAll(async () => {
    vi.useRealTimers();
    await dropMongoTestDatabase(app);
    await app.close();
  });

  const relay = () => relayAuditEvents(app.database, mongo, { maxPasses: 1000, batchSize: 3 });
  const docsOf = (tenantId: string) => mongo.events.find({ tenantId }).sort({ seq: 1 }).toArray();
  const verifyMongo = (tenantId: string) =>
    verifyAuditChain(createMongoAuditStore(mongo), tenantId);

  it('ships every event once, in seq order, keyed by event id, with the chain head', async () => {
    const tenant = await buildTenant(app);
    await appendEvents(app, tenant.id, 7);
    await relay();
    const stored = await readChain(app, tenant.id);
    const docs = await docsOf(tenant.id);
    expect(docs.map((d) => d.seq)).toEqual(stored.map((e) => e.seq));
    expect(docs.map((d) => d.hash)).toEqual(stored.map((e) => e.hash));
    expect(await mongo.chains.findOne({ _id: tenant.id })).toMatchObject({
      headSeq: 8,
      headHash: stored[7]!.hash,
    });
    expect(await verifyMongo(tenant.id)).toMatchObject({ valid: true, checked: 8 });
  });

  it('resumes after a crash between the MongoDB write and the cursor commit without duplicates', async () => {
    const tenant = await buildTenant(app);
    await appendEvents(app, tenant.id, 5);
    await relay();
    // The crash: MongoDB has the events, the cursor was never committed.
    await app.database.db
      .updateTable('audit_relay_cursors')
      .set({ shipped_seq: 2 })
      .where('tenant_id', '=', tenant.id)
      .execute();
    await appendEvents(app, tenant.id, 2);
    await relay();
    const docs = await docsOf(tenant.id);
    expect(docs.map((d) => d.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(docs.map((d) => d._id)).size).toBe(8);
    expect(await verifyMongo(tenant.id)).toMatchObject({ valid: true, checked: 8 });
  });

  it('ships a workspace again when MongoDB lost it', async () => {
    const tenant = await buildTenant(app);
    await appendEvents(app, tenant.id, 2);
    await relay();
    await mongo.events.deleteMany({ tenantId: tenant.id });
    await mongo.chains.deleteOne({ _id: tenant.id });
    await appendEvents(app, tenant.id, 1);
    await relay();
    expect((await docsOf(tenant.id)).map((d) => d.seq)).toEqual([1, 2, 3, 4]);
  });

  it('finds tampering in the MongoDB copy: an edited, a deleted and a truncated event', async () => {
    const [edited, deleted, truncated, bystander] = await Promise.all(
      [1, 2, 3, 4].map(() => buildTenant(app)),
    );
    for (const t of [edited, deleted, truncated, bystander]) await appendEvents(app, t!.id, 5);
    await relay();
    await mongo.events.updateOne(
      { tenantId: edited!.id, seq: 3 },
      { $set: { changesJson: '{"n":{"from":0,"to":9}}' } },
    );
    await mongo.events.deleteOne({ tenantId: deleted!.id, seq: 4 });
    await mongo.events.deleteMany({ tenantId: truncated!.id, seq: { $gte: 5 } });
    expect(await verifyMongo(edited!.id)).toMatchObject({ valid: false, firstInvalidSeq: 3 });
    expect(await verifyMongo(deleted!.id)).toMatchObject({ valid: false, firstInvalidSeq: 4 });
    expect(await verifyMongo(truncated!.id)).toMatchObject({ valid: false, firstInvalidSeq: 5 });
    expect(await verifyMongo(bystander!.id)).toMatchObject({ valid: true, checked: 6 });
  });

  it('ships prunes: MongoDB drops the pruned events and verifies from the same checkpoint', async () => {
    const owner = await signUp(app);
    vi.useFakeTimers({ toFake: ['Date'] });
    let tenantId: string;
    try {
      vi.setSystemTime(Date.now() - 40 * 86_400_000);
      const res = await owner.client.post('/api/v1/tenants', {
        name: 'Old',
        subdomain: `m-${uniq()}`,
      });
      expect(res.status, res.text).toBe(201);
      tenantId = res.body.id;
      await setPlan(app, tenantId, 'agency');
      await appendEvents(app, tenantId, 3, 'test.old');
    } finally {
      vi.useRealTimers();
    }
    await appendEvents(app, tenantId, 2, 'test.new');
    await relay();
    await setPlan(app, tenantId, 'free');
    await pruneExpiredAuditEvents(app.database, { tenantIds: [tenantId] });
    await relay();
    expect((await docsOf(tenantId)).map((d) => d.seq)).toEqual([5, 6]);
    expect(await mongo.chains.findOne({ _id: tenantId })).toMatchObject({
      checkpointSeq: 4,
      headSeq: 6,
    });
    expect(await verifyMongo(tenantId)).toMatchObject({ valid: true, checked: 2 });
    const pg = await inTransaction(app.database, { tenantId }, (tx) =>
      verifyAuditChain(createPostgresAuditStore(tx), tenantId),
    );
    expect(pg).toMatchObject({ valid: true, checked: 2 });
  });
});
