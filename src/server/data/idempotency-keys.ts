import { sql } from 'kysely';
import type { Tx } from './database.ts';

/** How long a stored response answers a retry with the same Idempotency-Key. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** A response stored under an Idempotency-Key; `status` 0 while the first request runs. */
export interface StoredIdempotentReply {
  requestHash: string;
  status: number;
  body: unknown;
}

/**
 * Claims `key` within `scope` for a request whose body hashes to `requestHash`: true when this
 * request is the first (it must then store its reply), false when the key is taken. A key older
 * than the TTL is dropped first. A concurrent claim waits on the row until the first commits.
 */
export async function claimIdempotencyKey(
  tx: Tx,
  scope: string,
  key: string,
  requestHash: string,
): Promise<boolean> {
  await sql`DELETE FROM idempotency_keys WHERE scope = ${scope} AND key = ${key}
            AND created_at < ${new Date(Date.now() - IDEMPOTENCY_TTL_MS)}`.execute(tx);
  const claimed = await tx
    .insertInto('idempotency_keys')
    .values({ scope, key, request_hash: requestHash, status: 0, created_at: new Date() })
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  return claimed !== undefined;
}

/** The reply stored under `key`, if a request claimed it. */
export async function findIdempotentReply(
  tx: Tx,
  scope: string,
  key: string,
): Promise<StoredIdempotentReply | undefined> {
  const row = await tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'body'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('created_at', '>=', new Date(Date.now() - IDEMPOTENCY_TTL_MS))
    .executeTakeFirst();
  return row && { requestHash: row.request_hash, status: row.status, body: row.body ?? undefined };
}

/** The reply stored under a claimed key. */
export async function readIdempotentReply(
  tx: Tx,
  scope: string,
  key: string,
): Promise<StoredIdempotentReply> {
  const row = await tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status', 'body'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  return { requestHash: row.request_hash, status: row.status, body: row.body ?? undefined };
}

/** Stores the first request's reply under its key, in that request's transaction. */
export async function storeIdempotentReply(
  tx: Tx,
  scope: string,
  key: string,
  status: number,
  body: unknown,
): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set({ status, body: body === undefined ? null : JSON.stringify(body) })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
}

/** Deletes keys past their TTL (maintenance). */
export async function deleteExpiredIdempotencyKeys(tx: Tx): Promise<void> {
  await sql`DELETE FROM idempotency_keys
            WHERE created_at < ${new Date(Date.now() - IDEMPOTENCY_TTL_MS)}`.execute(tx);
}
