import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'kysely';
import { APP_ROLE, type Database, type Tx } from './database.ts';

export interface TransactionScope {
  /** The tenant whose rows are visible (row-level security reads `app.tenant_id`). */
  tenantId?: string | null;
  /** The signed-in user, so their memberships in every tenant are visible. */
  userId?: string | null;
  /**
   * A background job that lists its work across tenants (migrations/0021): it may read, not
   * write, the rows that list needs.
   */
  workerScope?: 'billing-resync' | 'audit-relay' | 'google-sync' | 'outbox' | 'report-schedules';
  /**
   * The SHA-256 of the request's session token or API key, while the request reads who is asking
   * before its tenant is known (migrations/0005, 0024): the policies admit the rows it names.
   */
  sessionHash?: string;
  keyHash?: string;
}

/** Set while a transaction runs: work that must never happen inside one can check it. */
const openTransaction = new AsyncLocalStorage<true>();

/**
 * Throws when called inside a database transaction. Network calls (Stripe, Google, mail),
 * password hashing and waiting on a client must happen before or after a transaction, never in
 * one: on the embedded database one session serves every tenant, so a transaction that waits on
 * anything but the database stalls them all (docs/CONVENTIONS.md).
 */
export function assertOutsideTransaction(what: string): void {
  if (openTransaction.getStore()) {
    throw new Error(`${what} inside a database transaction: do it before or after the transaction`);
  }
}

/**
 * Runs `fn` in one transaction as the unprivileged app role with the scope set transaction-locally
 * (`set_config(..., true)`), so nothing leaks to the next user of the pooled connection.
 */
export async function inTransaction<T>(
  database: Database,
  scope: TransactionScope,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const hooks = new Map<string, () => Promise<void>>();
  const result = await database.db.transaction().execute((tx) =>
    openTransaction.run(true, async () => {
      commitHooks.set(tx, hooks);
      databases.set(tx, database);
      await setScope(tx, scope);
      return fn(tx);
    }),
  );
  // Every hook runs, even after one has thrown: each may drop copies another process still serves.
  let failure: { error: unknown } | null = null;
  for (const hook of hooks.values()) {
    try {
      await hook();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
  return result;
}

/** The after-commit work of each open transaction (see afterCommit). */
const commitHooks = new WeakMap<Tx, Map<string, () => Promise<void>>>();
/** The database each open transaction was opened on. */
const databases = new WeakMap<Tx, Database>();

/** The database `tx` was opened on by inTransaction. */
export function databaseOf(tx: Tx): Database {
  const database = databases.get(tx);
  if (!database) throw new Error('databaseOf: this transaction was not opened by inTransaction');
  return database;
}

/**
 * Runs `fn` once the transaction of `tx` has committed, before inTransaction returns (never if it
 * rolls back): work that must not see a state that may still roll back, such as dropping cached
 * reports of data the transaction changes. Registered once per `key` per transaction. `fn`
 * should not throw: the transaction has committed whatever it does.
 */
export function afterCommit(tx: Tx, key: string, fn: () => Promise<void>): void {
  const hooks = commitHooks.get(tx);
  if (!hooks) throw new Error('afterCommit: this transaction was not opened by inTransaction');
  if (!hooks.has(key)) hooks.set(key, fn);
}

/** Switches the running transaction to another scope (after a tenant is created or resolved). */
export async function setScope(tx: Tx, scope: TransactionScope): Promise<void> {
  await sql`SELECT set_config('role', ${APP_ROLE}, true),
                   set_config('app.tenant_id', ${scope.tenantId ?? ''}, true),
                   set_config('app.user_id', ${scope.userId ?? ''}, true),
                   set_config('app.worker_scope', ${scope.workerScope ?? ''}, true),
                   set_config('app.session_hash', ${scope.sessionHash ?? ''}, true),
                   set_config('app.key_hash', ${scope.keyHash ?? ''}, true)`.execute(tx);
}
