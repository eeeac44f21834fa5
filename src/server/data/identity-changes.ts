import { sql } from 'kysely';
import type { Database, Tx } from './database.ts';
import { afterCommit, databaseOf } from './scoped-transaction.ts';

/**
 * What a cached caller was read from (migrations/0070): `u:<user id>` holds a user's sessions,
 * the user and their memberships; `t:<tenant id>` the tenant, its API keys and its memberships.
 */
export type IdentityNamespace = `u:${string}` | `t:${string}`;

export const userIdentity = (userId: string): IdentityNamespace => `u:${userId}`;
export const tenantIdentity = (tenantId: string): IdentityNamespace => `t:${tenantId}`;

/** The cache namespace of an identity namespace's copies. */
export const identityCacheNamespace = (namespace: string): string => `identity:${namespace}`;

/**
 * Declares that this transaction updates or deletes rows callers are identified by: once it has
 * committed, and before inTransaction returns (so before the request answers), what every process
 * cached of those callers is dropped. The database refuses such a change that was not declared
 * (migrations/0070), so no write path can forget. One round trip; call it before the change.
 */
export async function announceIdentityChanges(
  tx: Tx,
  namespaces: IdentityNamespace[],
): Promise<void> {
  const database = databaseOf(tx);
  await sql`SELECT set_config('app.identity_changes',
    coalesce(current_setting('app.identity_changes', true), '') || ' ' || ${namespaces.join(' ')},
    true)`.execute(tx);
  for (const namespace of namespaces) {
    afterCommit(tx, identityCacheNamespace(namespace), async () => {
      await database.onIdentityChange?.(namespace);
    });
  }
}

/**
 * Changes rows callers are identified by past the API, as the connecting (owner) role: an
 * operator's fix, a test's or a benchmark's setup. It declares the namespaces as the database
 * requires and drops what is cached of them once the change has committed.
 */
export async function changeIdentityRowsAsOwner(
  database: Database,
  namespaces: IdentityNamespace[],
  fn: (tx: Tx) => Promise<unknown>,
): Promise<void> {
  await database.db.transaction().execute(async (tx) => {
    await sql`SELECT set_config('app.identity_changes', ${namespaces.join(' ')}, true)`.execute(tx);
    await fn(tx);
  });
  for (const namespace of namespaces) await database.onIdentityChange?.(namespace);
}
