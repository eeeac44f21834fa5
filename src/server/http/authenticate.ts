import { timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Request } from 'express';
import type { Database } from '../data/database.ts';
import { inTransaction } from '../data/scoped-transaction.ts';
import { findSession } from '../domain/accounts/sessions.ts';
import { API_KEY_PREFIX } from '../domain/api-keys/api-keys.ts';
import type { Cache } from '../infra/cache.ts';
import { sha256Hex } from '../lib/ids.ts';
import type { ApiKeyPrincipal, Principal, SessionPrincipal } from './define-route.ts';
import { AppError } from '../errors.ts';

export const SESSION_COOKIE = 'sid';
export const CSRF_COOKIE = 'csrf_token';

/** How long a looked-up principal is trusted without the database; revocation invalidates it. */
const AUTH_CACHE_SECONDS = 60;

/** Cache namespace of one session or key: invalidated when it is revoked. */
export const authCacheNamespace = (secretHash: string) => `auth:${secretHash}`;

type CachedPrincipal =
  | { kind: 'none' }
  | (Omit<SessionPrincipal, 'sessionHash'> & { expiresAt: number })
  | (ApiKeyPrincipal & { revoked: boolean });

/**
 * Who is asking: an API key from `Authorization: Bearer rsk_…`, else the session cookie. Looked up
 * through the cache (60 s, dropped on sign-out and revocation), else in a short transaction.
 * A bearer token that is not a live key is a 401; a stale cookie just means nobody.
 * `since` is when the request began (see Cache.get).
 */
export async function authenticate(
  req: Request,
  database: Database,
  cache: Cache,
  since?: number,
): Promise<Principal | null> {
  const authorization = req.get('authorization');
  if (authorization) {
    const key = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!key?.startsWith(API_KEY_PREFIX)) {
      throw new AppError('unauthenticated', 'The Authorization header must be "Bearer rsk_…"');
    }
    const hash = sha256Hex(key);
    const ns = authCacheNamespace(hash);
    let found = await cache.get<CachedPrincipal>(ns, 'p', { since });
    if (!found) {
      // Read before the key: a revocation committed meanwhile keeps the old answer out of the cache.
      const generation = await cache.generation(ns);
      found = await inTransaction(database, {}, async (tx) => {
        // Row-level security admits the one key whose hash the transaction names.
        await sql`SELECT set_config('app.key_hash', ${hash}, true)`.execute(tx);
        const row = await tx
          .selectFrom('api_keys')
          .select(['id', 'tenant_id', 'name', 'role', 'revoked_at'])
          .where('key_hash', '=', hash)
          .executeTakeFirst();
        return row
          ? {
              kind: 'api_key' as const,
              keyId: row.id,
              name: row.name,
              tenantId: row.tenant_id,
              role: row.role,
              revoked: row.revoked_at !== null,
            }
          : { kind: 'none' as const };
      });
      await cache.set(ns, 'p', found, AUTH_CACHE_SECONDS, { ifGeneration: generation });
    }
    if (found.kind !== 'api_key' || found.revoked)
      throw new AppError('unauthenticated', 'The API key is not valid');
    return {
      kind: 'api_key',
      keyId: found.keyId,
      name: found.name,
      tenantId: found.tenantId,
      role: found.role,
    };
  }

  const token: string | undefined = req.cookies?.[SESSION_COOKIE];
  if (!token) return null;
  const hash = sha256Hex(token);
  const ns = authCacheNamespace(hash);
  let found = await cache.get<CachedPrincipal>(ns, 'p', { since });
  if (!found) {
    const generation = await cache.generation(ns);
    const session = await inTransaction(database, {}, (tx) => findSession(tx, token));
    found = session
      ? {
          kind: 'session',
          userId: session.userId,
          email: session.email,
          name: session.name,
          expiresAt: session.expiresAt.getTime(),
        }
      : { kind: 'none' };
    await cache.set(ns, 'p', found, AUTH_CACHE_SECONDS, { ifGeneration: generation });
  }
  if (found.kind !== 'session' || found.expiresAt <= Date.now()) return null;
  return {
    kind: 'session',
    userId: found.userId,
    email: found.email,
    name: found.name,
    sessionHash: hash,
  };
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
