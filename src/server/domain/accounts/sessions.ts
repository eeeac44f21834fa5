import type { Tx } from '../../data/database.ts';
import { randomToken, sha256Hex } from '../../lib/ids.ts';
import type { RequestMeta } from '../audit/record-audit-event.ts';
import { announceIdentityChanges, userIdentity } from '../../data/identity-changes.ts';

export interface SessionUser {
  userId: string;
  email: string;
  name: string;
  sessionHash: string;
  expiresAt: Date;
}

/** Starts a session: a random token for the cookie; only its hash is stored. */
export async function createSession(
  tx: Tx,
  userId: string,
  ttlHours: number,
  meta: RequestMeta,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + ttlHours * 3_600_000);
  await tx
    .insertInto('sessions')
    .values({
      token_hash: sha256Hex(token),
      user_id: userId,
      created_at: new Date(),
      expires_at: expiresAt,
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 500) ?? null,
    })
    .execute();
  return { token, expiresAt };
}

/** The live session for a cookie token, or null when unknown, revoked or expired. */
export async function findSession(tx: Tx, token: string): Promise<SessionUser | null> {
  const row = await tx
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['users.id', 'users.email', 'users.name', 'sessions.token_hash', 'sessions.expires_at'])
    .where('sessions.token_hash', '=', sha256Hex(token))
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', new Date())
    .executeTakeFirst();
  return row
    ? {
        userId: row.id,
        email: row.email,
        name: row.name,
        sessionHash: row.token_hash,
        expiresAt: row.expires_at,
      }
    : null;
}

/** Revokes a session by its token (sign-out, or the old session at sign-in); returns its hash. */
export async function revokeSession(tx: Tx, token: string): Promise<string> {
  const hash = sha256Hex(token);
  const live = await tx
    .selectFrom('sessions')
    .select('user_id')
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!live) return hash;
  await announceIdentityChanges(tx, [userIdentity(live.user_id)]);
  await tx
    .updateTable('sessions')
    .set({ revoked_at: new Date() })
    .where('token_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .execute();
  return hash;
}
