/**
 * Audit log costs, in process (no HTTP), on the embedded database and on PostgreSQL:
 *
 * - write: p50/p95 of a tenant-scoped transaction that updates a site, without and with
 *   recordAuditEvent (chain-head lock + hash + insert); the difference is what auditing costs.
 * - a million events in one tenant's chain (hashes computed here, rows inserted in batches), then
 *   verify (events/s, heap growth), the first list page with and without a filter, an NDJSON export
 *   (events/s), and pruning the oldest 100 000 (events/s), after which the chain must still verify.
 *
 *   npx tsx bench/audit.ts                       # both backends, 1 000 000 events
 *   BENCH_BACKENDS=embedded BENCH_EVENTS=200000 npx tsx bench/audit.ts
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { openDatabase, type Database } from '../src/server/data/database.ts';
import { migrate } from '../src/server/data/migrate.ts';
import { inTransaction } from '../src/server/data/scoped-transaction.ts';
import {
  chainHash,
  GENESIS_HASH,
  type ChainedEvent,
} from '../src/server/domain/audit/audit-hash.ts';
import { exportAuditEvents } from '../src/server/domain/audit/export-audit-events.ts';
import { listAuditEvents } from '../src/server/domain/audit/list-audit-events.ts';
import { createPostgresAuditStore } from '../src/server/domain/audit/postgres-audit-store.ts';
import { pruneExpiredAuditEvents } from '../src/server/domain/audit/prune-audit-events.ts';
import { diffChanges, recordAuditEvent } from '../src/server/domain/audit/record-audit-event.ts';
import { verifyAuditChain } from '../src/server/domain/audit/verify-audit-chain.ts';

const backends = (process.env.BENCH_BACKENDS ?? 'embedded,postgres').split(',');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PRUNED = Math.min(100_000, Math.floor(EVENTS / 10));
const WRITES = Number(process.env.BENCH_WRITES ?? 400);
const INSERT_BATCH = 5000;
const DAY_MS = 86_400_000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function createTenant(database: Database, name: string): Promise<string> {
  const id = randomUUID();
  await database.db
    .insertInto('tenants')
    .values({
      id,
      name,
      subdomain: `${name}-${id.slice(0, 8)}`,
      branding: '{}',
      created_at: new Date(),
      updated_at: new Date(),
    })
    .execute();
  return id;
}

/** p50/p95 of one site update per transaction, without and with its audit event (interleaved). */
async function measureWrites(database: Database) {
  const tenantId = await createTenant(database, 'bench-writes');
  const siteId = randomUUID();
  await inTransaction(database, { tenantId }, (tx) =>
    tx
      .insertInto('sites')
      .values({
        tenant_id: tenantId,
        id: siteId,
        name: 'Site 0',
        domain: 'bench.example.com',
        created_at: new Date(),
        updated_at: new Date(),
      })
      .execute(),
  );
  const actor = { type: 'user' as const, id: randomUUID(), label: 'bench@example.test' };
  const meta = { ip: '127.0.0.1', userAgent: 'bench', requestId: randomUUID() };
  const write = async (i: number, audited: boolean) => {
    const t0 = performance.now();
    await inTransaction(database, { tenantId }, async (tx) => {
      const before = await tx
        .selectFrom('sites')
        .select(['name', 'domain'])
        .where('tenant_id', '=', tenantId)
        .where('id', '=', siteId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const name = `Site ${i}`;
      await tx
        .updateTable('sites')
        .set({ name, updated_at: new Date() })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', siteId)
        .execute();
      if (audited) {
        await recordAuditEvent(tx, tenantId, actor, meta, {
          action: 'site.updated',
          target: { type: 'site', id: siteId },
          changes: diffChanges(before, { name }, ['name', 'domain']),
        });
      }
    });
    return performance.now() - t0;
  };
  for (let i = 0; i < 50; i++) await write(i, i % 2 === 0);
  const plain: number[] = [];
  const audited: number[] = [];
  for (let i = 0; i < WRITES * 2; i++)
    (i % 2 === 0 ? plain : audited).push(await write(i, i % 2 === 1));
  plain.sort((a, b) => a - b);
  audited.sort((a, b) => a - b);
  return {
    plainP50: percentile(plain, 50),
    plainP95: percentile(plain, 95),
    auditedP50: percentile(audited, 50),
    auditedP95: percentile(audited, 95),
  };
}

/** Inserts `count` chained events for a tenant: hashes here, rows in batches through json_to_recordset. */
async function generateChain(
  database: Database,
  tenantId: string,
  count: number,
  oldCount: number,
) {
  const now = Date.now();
  const oldStart = now - 60 * DAY_MS;
  const recentStart = now - 20 * DAY_MS;
  const actions = [
    'site.updated',
    'service.updated',
    'metrics.imported',
    'member.updated',
    'api_key.created',
  ];
  let prevHash = GENESIS_HASH;
  for (let from = 1; from <= count; from += INSERT_BATCH) {
    const rows: Record<string, unknown>[] = [];
    for (let seq = from; seq < Math.min(from + INSERT_BATCH, count + 1); seq++) {
      const at =
        seq <= oldCount
          ? oldStart + Math.floor(((seq - 1) / Math.max(1, oldCount)) * 20 * DAY_MS)
          : recentStart + Math.floor(((seq - oldCount) / (count - oldCount + 1)) * 19 * DAY_MS);
      const event: ChainedEvent = {
        tenantId,
        seq,
        id: randomUUID(),
        occurredAt: new Date(at).toISOString(),
        actor: {
          type: 'user',
          id: '7d0c1a2e-0000-4000-8000-000000000001',
          label: 'owner@example.test',
        },
        action: actions[seq % actions.length]!,
        target: { type: 'site', id: `site-${seq % 50}` },
        changes: { name: { from: `Site ${seq - 1}`, to: `Site ${seq}` } },
        ip: '203.0.113.7',
        userAgent: 'Mozilla/5.0 (bench)',
        requestId: `req-${seq}`,
      };
      const hash = chainHash(prevHash, event);
      rows.push({
        seq,
        id: event.id,
        at: event.occurredAt,
        action: event.action,
        target: event.target.id,
        changes: event.changes,
        req: event.requestId,
        prev: prevHash,
        hash,
      });
      prevHash = hash;
    }
    await sql`
      INSERT INTO audit_events (tenant_id, seq, id, occurred_at, actor_type, actor_id, actor_label, action,
        target_type, target_id, changes, ip, user_agent, request_id, prev_hash, hash)
      SELECT ${tenantId}::uuid, r.seq, r.id, r.at, 'user', '7d0c1a2e-0000-4000-8000-000000000001',
        'owner@example.test', r.action, 'site', r.target, r.changes, '203.0.113.7', 'Mozilla/5.0 (bench)',
        r.req, r.prev, r.hash
      FROM json_to_recordset(${JSON.stringify(rows)}::json)
        AS r(seq bigint, id uuid, at timestamptz, action text, target text, changes jsonb, req text, prev text, hash text)`.execute(
      database.db,
    );
  }
  await sql`INSERT INTO audit_chain_heads (tenant_id, last_seq, last_hash) VALUES (${tenantId}, ${count}, ${prevHash})`.execute(
    database.db,
  );
  await sql`ANALYZE audit_events`.execute(database.db);
}

async function measureLog(database: Database) {
  const tenantId = await createTenant(database, 'bench-chain');
  const t0 = performance.now();
  await generateChain(database, tenantId, EVENTS, PRUNED);
  const generateSeconds = (performance.now() - t0) / 1000;

  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  const t1 = performance.now();
  const verified = await inTransaction(database, { tenantId }, (tx) =>
    verifyAuditChain(createPostgresAuditStore(tx), tenantId, {
      onProgress: () => {
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
      },
    }),
  );
  const verifySeconds = (performance.now() - t1) / 1000;
  if (!verified.valid || verified.checked !== EVENTS)
    throw new Error(`verify failed: ${JSON.stringify(verified)}`);

  const listTimes = async (filter: Record<string, string>) => {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await inTransaction(database, { tenantId }, (tx) =>
        listAuditEvents(createPostgresAuditStore(tx), tenantId, { filter, limit: 50 }),
      );
      times.push(performance.now() - t);
    }
    return percentile(
      times.sort((a, b) => a - b),
      50,
    );
  };
  const listP50 = await listTimes({});
  const listFilteredP50 = await listTimes({ action: 'member.updated', targetId: 'site-3' });

  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done();
    },
  });
  const t2 = performance.now();
  const exported = await exportAuditEvents(
    (read) => inTransaction(database, { tenantId }, (tx) => read(createPostgresAuditStore(tx))),
    tenantId,
    { format: 'ndjson', filter: {}, out: sink },
  );
  const exportSeconds = (performance.now() - t2) / 1000;

  const t3 = performance.now();
  const report = await pruneExpiredAuditEvents(database, { tenantIds: [tenantId] });
  const pruneSeconds = (performance.now() - t3) / 1000;
  const pruned = report.pruned[tenantId] ?? 0;
  const after = await inTransaction(database, { tenantId }, (tx) =>
    verifyAuditChain(createPostgresAuditStore(tx), tenantId),
  );
  if (!after.valid || after.checked !== EVENTS - pruned)
    throw new Error(`verify after prune failed: ${JSON.stringify(after)}`);

  return {
    generateSeconds,
    verifySeconds,
    verifyRate: EVENTS / verifySeconds,
    verifyHeapGrowthMiB: (heapPeak - heapBefore) / 2 ** 20,
    listP50,
    listFilteredP50,
    exportRate: exported / exportSeconds,
    exportMiB: bytes / 2 ** 20,
    pruned,
    pruneRate: pruned / pruneSeconds,
  };
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'} (nproc ${os.availableParallelism()}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(
  `audit benchmark — ${machine}; ${EVENTS.toLocaleString('en')} events, ${WRITES} writes each way`,
);
const lines: string[] = [];
for (const backend of backends) {
  let database: Database;
  let cleanup = async () => {};
  if (backend === 'postgres') {
    const name = `roi_bench_audit_${Date.now()}`;
    const adminUrl =
      process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    database = await openDatabase({ databaseUrl: url.href, dataDir: '' });
    cleanup = async () => {
      if (process.env.BENCH_KEEP_DB) return console.log(`kept ${url.href}`);
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    // On disk (a temporary directory): a million events with their indexes do not fit the WASM heap.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-bench-audit-'));
    database = await openDatabase({ dataDir: dir });
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    await migrate(database);
    const writes = await measureWrites(database);
    console.log(
      `[${backend}] write p50 ${ms(writes.plainP50)} → audited ${ms(writes.auditedP50)} (p95 ${ms(writes.plainP95)} → ${ms(writes.auditedP95)})`,
    );
    const log = await measureLog(database);
    console.log(`[${backend}]`, JSON.stringify(log));
    lines.push(
      `| ${backend === 'postgres' ? 'PostgreSQL 15' : 'embedded (PGlite)'} | ${writes.plainP50.toFixed(2)} → ${writes.auditedP50.toFixed(2)} (**+${(writes.auditedP50 - writes.plainP50).toFixed(2)}**) | ` +
        `${Math.round(log.verifyRate).toLocaleString('en')} (${log.verifySeconds.toFixed(1)} s, heap +${log.verifyHeapGrowthMiB.toFixed(0)} MiB) | ` +
        `${log.listP50.toFixed(1)} / ${log.listFilteredP50.toFixed(1)} | ${Math.round(log.exportRate).toLocaleString('en')} | ` +
        `${Math.round(log.pruneRate).toLocaleString('en')} (${log.pruned.toLocaleString('en')}) | ${log.generateSeconds.toFixed(0)} s |`,
    );
  } finally {
    await database.close();
    await cleanup();
  }
}
console.log(`\n${machine}\n`);
console.log(
  '| backend | write p50 ms: plain → audited (extra) | verify events/s | list p50 ms: first page / filtered | export NDJSON events/s | prune events/s (events) | generate 1M |',
);
console.log('|---|---|---|---|---|---|---|');
for (const line of lines) console.log(line);
