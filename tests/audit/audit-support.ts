import { randomBytes } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { DB } from '../../src/server/data/schema.ts';
import { inTransaction } from '../../src/server/data/scoped-transaction.ts';
import { recordAuditEvent } from '../../src/server/domain/audit/record-audit-event.ts';
import { relayAuditEvents } from '../../src/server/domain/audit/relay-audit-events.ts';
import type { TestApp } from '../support/test-app.ts';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
} from '../../src/server/data/identity-changes.ts';

/** MongoDB cannot be installed on the build machines: its tests run only when this is set. */
export const MONGODB_URL = process.env.MONGODB_URL?.trim() || undefined;
export const MONGO_SKIP_REASON =
  'SKIPPED: MONGODB_URL is not set (no MongoDB server on this machine); the MongoDB store was not exercised';

/** MONGODB_URL pointing at a fresh database of its own (dropped by dropMongoTestDatabase). */
export function mongoTestUrl(): string {
  const url = new URL(MONGODB_URL!);
  url.pathname = `/roi_audit_test_${randomBytes(4).toString('hex')}`;
  return url.href;
}

export async function dropMongoTestDatabase(app: TestApp): Promise<void> {
  await app.services.audit.mongo?.db.dropDatabase().catch(() => undefined);
}

/** Makes what PostgreSQL holds visible in the read store: ships to MongoDB when it is configured. */
export async function syncAuditStore(app: TestApp): Promise<void> {
  const mongo = app.services.audit.mongo;
  if (mongo) await relayAuditEvents(app.database, mongo, { maxPasses: 1000 });
}

export interface ChainRow {
  seq: number;
  action: string;
  hash: string;
  prev_hash: string;
}

/** The tenant's stored chain, read as the owner (outside row-level security). */
export async function readChain(app: TestApp, tenantId: string): Promise<ChainRow[]> {
  return app.database.db
    .selectFrom('audit_events')
    .select(['seq', 'action', 'hash', 'prev_hash'])
    .where('tenant_id', '=', tenantId)
    .orderBy('seq')
    .execute();
}

/** The tenant's chain head seq (0 when it has no events). */
export async function headSeq(app: TestApp, tenantId: string): Promise<number> {
  const row = await app.database.db
    .selectFrom('audit_chain_heads')
    .select('last_seq')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row ? Number(row.last_seq) : 0;
}

/**
 * Changes stored rows the way an attacker with the database superuser would: switching off
 * triggers (session_replication_role = replica) to get past the append-only guard.
 */
export async function tamper(
  app: TestApp,
  fn: (trx: Transaction<DB>) => Promise<void>,
): Promise<void> {
  await app.database.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await fn(trx);
  });
}

/** Appends `count` events to the tenant's chain as the application does (one transaction each). */
export async function appendEvents(
  app: TestApp,
  tenantId: string,
  count: number,
  action = 'test.event',
): Promise<void> {
  for (let i = 0; i < count; i++) {
    await inTransaction(app.database, { tenantId }, (tx) =>
      recordAuditEvent(
        tx,
        tenantId,
        { type: 'system', id: null, label: 'test' },
        { ip: null, userAgent: null, requestId: null },
        { action, target: { type: 'test', id: String(i) }, changes: { n: { from: i, to: i + 1 } } },
      ),
    );
  }
}

/** A GET whose body is read as text (the test client parses anything that says json, NDJSON too). */
export async function getText(
  client: { baseUrl: string; cookies: Map<string, string>; tenant: string | undefined },
  path: string,
  options: { apiKey?: string } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = {};
  if (client.tenant) headers['x-tenant-id'] = client.tenant;
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  else if (client.cookies.size > 0)
    headers.cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(client.baseUrl + path, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Raises the tenant's plan so member limits do not get in a test's way. */
export async function setPlan(app: TestApp, tenantId: string, plan: string): Promise<void> {
  await changeIdentityRowsAsOwner(app.database, [tenantIdentity(tenantId)], (tx) =>
    tx.updateTable('tenants').set({ plan }).where('id', '=', tenantId).execute(),
  );
}
