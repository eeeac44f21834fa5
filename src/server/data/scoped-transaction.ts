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
  workerScope?:
    | 'billing-resync'
    | 'audit-relay'
    | 'google-sync'
    | 'outbox'
    | 'report-schedules'
    | 'workspace-rollups';
  /**
   * The SHA-256 of the request's session token or API key, while the request reads who is asking
   * before its tenant is known (migrations/0005, 0024): the policies admit the rows it names.
   */
  sessionHash?: string;
  keyHash?: string;
  /**
   * The transaction's statements run on generic plans (see useGenericPlans), switched in the scope
   * statement itself: for the routes that build reports.
   */
  genericPlans?: boolean;
}

/** What a scope value may hold: uuids, hex hashes, role and job names. */
const SCOPE_VALUE = /^[\w-]+$/;

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

/**
 * Switches the running transaction to another scope (after a tenant is created or resolved). The
 * values are written into the text as literals, not bound: a statement without parameters goes
 * out with the transaction's BEGIN in one round trip (statement-cache.ts). They are ids, hashes
 * and names this code chose; anything else is refused before it reaches the text.
 */
export async function setScope(tx: Tx, scope: TransactionScope): Promise<void> {
  const value = (v: string | null | undefined) => {
    if (v && !SCOPE_VALUE.test(v)) throw new Error(`setScope: not an id, hash or name: ${v}`);
    return sql.lit(v ?? '');
  };
  const plans = scope.genericPlans ? GENERIC_PLANS : sql``;
  await sql`SELECT set_config('role', ${value(APP_ROLE)}, true),
                   set_config('app.tenant_id', ${value(scope.tenantId)}, true),
                   set_config('app.user_id', ${value(scope.userId)}, true),
                   set_config('app.worker_scope', ${value(scope.workerScope)}, true),
                   set_config('app.session_hash', ${value(scope.sessionHash)}, true),
                   set_config('app.key_hash', ${value(scope.keyHash)}, true)${plans}`.execute(tx);
  if (scope.genericPlans) onGenericPlans.add(tx);
}

const GENERIC_PLANS = sql`, set_config('plan_cache_mode', 'force_generic_plan', true)`;
/** Transactions already switched to generic plans. */
const onGenericPlans = new WeakSet<Tx>();

/**
 * Switches the rest of the transaction to generic plans (`plan_cache_mode = force_generic_plan`),
 * unless its scope already did. The report statement's text is the same for every range of a
 * grouping, but PostgreSQL's default (`auto`) kept planning it anew on each run, since a plan for
 * known array lengths looks cheaper than the generic one: about a third of its time
 * (bench/roi.ts). What report transactions read besides (annotations, attributions, further
 * reports of a goal) are keyed reads or the same statement, which the generic plan suits too.
 */
export async function useGenericPlans(tx: Tx): Promise<void> {
  if (onGenericPlans.has(tx)) return;
  await sql`SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`.execute(tx);
  onGenericPlans.add(tx);
}
