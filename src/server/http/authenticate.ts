import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Kysely } from 'kysely';
import type { DB } from '../data/schema.ts';
import type { LocalCopies } from '../infra/cache.ts';
import type { Role } from '../data/schema.ts';
import { apiKeyIdentity, sessionIdentity } from '../domain/accounts/request-identity.ts';
import { API_KEY_PREFIX } from '../domain/api-keys/api-keys.ts';
import { sha256Hex } from '../lib/ids.ts';
import type { Principal, TenantInfo } from './define-route.ts';
import { AppError } from '../errors.ts';

export const SESSION_COOKIE = 'sid';
export const CSRF_COOKIE = 'csrf_token';

/** The secret a request presents: an API key (Bearer) or else the session cookie. */
export type Credentials =
  { kind: 'api_key'; hash: string } | { kind: 'session'; token: string; hash: string };

/**
 * Reads the request's credentials without touching the database: `Authorization: Bearer rsk_…`,
 * else the session cookie. A malformed Authorization header is a 401.
 */
export function readCredentials(req: Request): Credentials | null {
  const authorization = req.get('authorization');
  if (authorization) {
    const key = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!key?.startsWith(API_KEY_PREFIX)) {
      throw new AppError('unauthenticated', 'The Authorization header must be "Bearer rsk_…"');
    }
    return { kind: 'api_key', hash: sha256Hex(key) };
  }
  const token: string | undefined = req.cookies?.[SESSION_COOKIE];
  return token ? { kind: 'session', token, hash: sha256Hex(token) } : null;
}

/** Who is asking, as of the request's start: the principal, and its tenant and role when it named one. */
export interface Identity {
  principal: Principal;
  tenant: TenantInfo | null;
  role: Role | null;
  /** When the session ends (to re-issue its csrf cookie); null for a key. */
  sessionExpiresAt: Date | null;
}

/**
 * Reads who is asking, outside any transaction: one indexed query in one round trip, or this
 * process's copy of its answer, which every change to it drops on every process before the change
 * answers (request-identity.ts). A key that is unknown, revoked or whose creator left the tenant
 * is a 401; a stale session cookie just means nobody. `tenantHint` (sessions only; a key carries
 * its tenant) is the tenant the request names; `since` is when the request began.
 */
export async function identify(
  db: Kysely<DB>,
  copies: LocalCopies | null,
  credentials: Credentials,
  tenantHint: string | null,
  since: number,
): Promise<Identity | null> {
  if (credentials.kind === 'api_key') {
    const key = await apiKeyIdentity(db, copies, credentials.hash, since);
    if (!key) throw new AppError('unauthenticated', 'The API key is not valid');
    return {
      principal: {
        kind: 'api_key',
        keyId: key.keyId,
        name: key.name,
        tenantId: key.tenant.id,
        role: key.role,
        createdBy: key.createdBy,
      },
      tenant: key.tenant,
      role: key.role,
      sessionExpiresAt: null,
    };
  }
  const session = await sessionIdentity(db, copies, credentials.hash, tenantHint, since);
  if (!session) return null;
  return {
    principal: {
      kind: 'session',
      userId: session.userId,
      email: session.email,
      name: session.name,
      sessionHash: credentials.hash,
    },
    tenant: session.role ? session.tenant : null,
    role: session.role,
    sessionExpiresAt: session.expiresAt,
  };
}

/**
 * The csrf token of a session: an HMAC keyed by the session token, so it belongs to that session
 * only (a token from another session, planted in the cookie, does not pass) and needs no storage.
 * It reveals nothing about the session token, which stays in its HttpOnly cookie.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('csrf_token').digest('base64url');
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Double submit bound to the session: the X-CSRF-Token header must equal the csrf_token cookie,
 * and both must be the token of the session the request is signed in with.
 */
export function checkCsrf(req: Request, sessionToken: string): void {
  const cookie: string | undefined = req.cookies?.[CSRF_COOKIE];
  const header = req.get('x-csrf-token');
  if (!cookie || !header)
    throw new AppError('csrf', 'Send the csrf_token cookie value in X-CSRF-Token');
  if (!sameSecret(cookie, header)) {
    throw new AppError('csrf', 'X-CSRF-Token does not match the csrf_token cookie');
  }
  if (!sameSecret(header, csrfTokenFor(sessionToken))) {
    throw new AppError('csrf', 'The csrf_token does not belong to this session; sign in again');
  }
}
