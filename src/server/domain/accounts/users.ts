import type { Database, Tx } from '../../data/database.ts';
import { inTransaction } from '../../data/scoped-transaction.ts';
import { newId } from '../../lib/ids.ts';
import { verifyPassword } from './passwords.ts';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

/** Emails compare case-insensitively. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/**
 * Creates an account from a password hashed beforehand (hash outside the transaction: see
 * `hashPassword`). Null when the email is already registered: the caller decides what to say.
 */
export async function createUser(
  tx: Tx,
  input: { email: string; passwordHash: string; name: string },
): Promise<UserRecord | null> {
  const now = new Date();
  const row = await tx
    .insertInto('users')
    .values({
      id: newId(),
      email: input.email.trim(),
      email_normalized: normalizeEmail(input.email),
      name: input.name,
      password_hash: input.passwordHash,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('email_normalized').doNothing())
    .returning(['id', 'email', 'name', 'created_at'])
    .executeTakeFirst();
  return row ? { id: row.id, email: row.email, name: row.name, createdAt: row.created_at } : null;
}

/**
 * The user whose email and password match, or null. The row is read in a short transaction and
 * the password verified after it has closed (argon2 must not hold the database); an unknown email
 * is verified against a dummy hash, so it costs the same time as a wrong password.
 */
export async function verifyCredentials(
  database: Database,
  email: string,
  password: string,
): Promise<UserRecord | null> {
  const row = await inTransaction(database, {}, (tx) =>
    tx
      .selectFrom('users')
      .select(['id', 'email', 'name', 'created_at', 'password_hash'])
      .where('email_normalized', '=', normalizeEmail(email))
      .executeTakeFirst(),
  );
  const ok = await verifyPassword(row?.password_hash ?? null, password);
  return ok && row
    ? { id: row.id, email: row.email, name: row.name, createdAt: row.created_at }
    : null;
}

/** Reads a user by id. */
export async function getUser(tx: Tx, id: string): Promise<UserRecord | null> {
  const row = await tx
    .selectFrom('users')
    .select(['id', 'email', 'name', 'created_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { id: row.id, email: row.email, name: row.name, createdAt: row.created_at } : null;
}

/** Shapes a user for the API. */
export const presentUser = (u: UserRecord) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  createdAt: u.createdAt.toISOString(),
});
