import type { Tx } from '../../data/database.ts';
import { AppError } from '../../errors.ts';
import { newId } from '../../lib/ids.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

/** Emails compare case-insensitively. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Creates an account; an email already registered is a 409. */
export async function createUser(
  tx: Tx,
  input: { email: string; password: string; name: string },
): Promise<UserRecord> {
  const passwordHash = await hashPassword(input.password);
  const now = new Date();
  const row = await tx
    .insertInto('users')
    .values({
      id: newId(),
      email: input.email.trim(),
      email_normalized: normalizeEmail(input.email),
      name: input.name,
      password_hash: passwordHash,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('email_normalized').doNothing())
    .returning(['id', 'email', 'name', 'created_at'])
    .executeTakeFirst();
  if (!row) throw new AppError('conflict', 'An account with this email already exists');
  return { id: row.id, email: row.email, name: row.name, createdAt: row.created_at };
}

/** The user whose email and password match, or null; unknown emails cost the same time. */
export async function authenticateUser(
  tx: Tx,
  email: string,
  password: string,
): Promise<UserRecord | null> {
  const row = await tx
    .selectFrom('users')
    .select(['id', 'email', 'name', 'created_at', 'password_hash'])
    .where('email_normalized', '=', normalizeEmail(email))
    .executeTakeFirst();
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
