import { timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Request } from 'express';
import type { Tx } from '../data/database.ts';
import type { Role } from '../data/schema.ts';
import { findSession } from '../domain/accounts/sessions.ts';
import { sha256Hex } from '../lib/ids.ts';
import type { Principal } from './define-route.ts';
import { AppError } from './errors.ts';

export const SESSION_COOKIE = 'sid';
export const CSRF_COOKIE = 'csrf_token';
export const API_KEY_PREFIX = 'rsk_';

/**
 * Who is asking: an API key from `Authorization: Bearer rsk_…`, else the session cookie.
 * A bearer token that is not a live key is a 401; a stale cookie just means nobody.
 */
export async function authenticate(tx: Tx, req: Request): Promise<Principal | null> {
  const authorization = req.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const key = match?.[1];
    if (!key?.startsWith(API_KEY_PREFIX)) {
      throw new AppError('unauthenticated', 'The Authorization header must be "Bearer rsk_…"');
    }
    const result = await sql<{
      id: string;
      tenant_id: string;
      name: string;
      role: Role;
      revoked_at: Date | null;
    }>`
      SELECT id, tenant_id, name, role, revoked_at FROM find_api_key(${sha256Hex(key)})`.execute(
      tx,
    );
    const row = result.rows[0];
    if (!row || row.revoked_at) throw new AppError('unauthenticated', 'The API key is not valid');
    return {
      kind: 'api_key',
      keyId: row.id,
      name: row.name,
      tenantId: row.tenant_id,
      role: row.role,
    };
  }
  const token = req.cookies?.[SESSION_COOKIE];
  if (!token) return null;
  const session = await findSession(tx, token);
  return session ? { kind: 'session', ...session } : null;
}

/** Double-submit check: the X-CSRF-Token header must equal the csrf_token cookie. */
export function checkCsrf(req: Request): void {
  const cookie = req.cookies?.[CSRF_COOKIE];
  const header = req.get('x-csrf-token');
  if (!cookie || !header)
    throw new AppError('csrf', 'Send the csrf_token cookie value in X-CSRF-Token');
  const a = Buffer.from(cookie);
  const b = Buffer.from(header);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new AppError('csrf', 'X-CSRF-Token does not match the csrf_token cookie');
  }
}
