import { sql, type Kysely } from 'kysely';
import type { DB } from '../../data/schema.ts';
import {
  identityCacheNamespace,
  tenantIdentity,
  userIdentity,
} from '../../data/identity-changes.ts';
import { assertOutsideTransaction } from '../../data/scoped-transaction.ts';
import type { LocalCopies } from '../../infra/cache.ts';
import type { Role } from '../../data/schema.ts';
import { rankOf } from '../api-keys/api-keys.ts';
import type { TenantInfo } from '../principal.ts';
import { tenantInfoFromRow, type TenantBillingInfo, type TenantRow } from '../tenants/tenants.ts';

// Who is asking, in which tenant and with which role: read by one indexed query, so a role
// change, a removal or a revocation holds on the next request on every process. The query runs
// in a database function (migrations/0025) that first takes the app role and names the secret's
// hash (app.session_hash / app.key_hash), so row-level security admits the rows before the tenant
// is known (0005, 0024): one statement in autocommit, one round trip.
//
// With Redis, what that query read is kept in this process (LocalCopies, under the cache's lease
// protocol) and served until a change drops it: every update or delete of the rows it came from
// must declare its identity namespace (migrations/0070, data/identity-changes.ts), and the
// declaration drops the copies on every process before the change answers. Only whole answers are
// kept: a live key, or a live session with its role in the tenant it named (or no tenant named).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type PrefixedTenant = { [K in keyof TenantRow as `t_${K}`]: TenantRow[K] | null };

const tenantOf = (row: PrefixedTenant): (TenantInfo & TenantBillingInfo) | null =>
  row.t_id === null
    ? null
    : tenantInfoFromRow({
        id: row.t_id,
        name: row.t_name!,
        subdomain: row.t_subdomain!,
        plan: row.t_plan!,
        currency: row.t_currency!,
        timezone: row.t_timezone!,
        branding: row.t_branding,
        created_at: row.t_created_at!,
        billing_status: row.t_billing_status!,
        billing_grace_ends_at: row.t_billing_grace_ends_at,
      });

export interface SessionIdentity {
  userId: string;
  email: string;
  name: string;
  expiresAt: Date;
  /** The tenant the request named (by id or subdomain), when it exists. */
  tenant: (TenantInfo & TenantBillingInfo) | null;
  /** The user's role in that tenant; null when they are not a member. */
  role: Role | null;
}

/**
 * The live session whose token hashes to `sessionHash`, with the tenant `tenantHint` names (an id
 * or a subdomain; null for none) and the user's current role there. Null when the session is
 * unknown, revoked or expired. Run it outside a transaction: it sets the statement's own scope.
 */
export async function findSessionIdentity(
  db: Kysely<DB>,
  sessionHash: string,
  tenantHint: string | null,
): Promise<SessionIdentity | null> {
  assertOutsideTransaction('The identity read');
  const tenantId = tenantHint !== null && UUID.test(tenantHint) ? tenantHint : null;
  const subdomain = tenantHint !== null && tenantId === null ? tenantHint : null;
  const result = await sql<
    {
      user_id: string;
      email: string;
      user_name: string;
      expires_at: Date;
      role: Role | null;
    } & PrefixedTenant
  >`SELECT * FROM app_session_identity(${sessionHash}, ${tenantId}::uuid, ${subdomain})`.execute(
    db,
  );
  const row = result.rows[0];
  if (!row) return null;
  return {
    userId: row.user_id,
    email: row.email,
    name: row.user_name,
    expiresAt: row.expires_at,
    tenant: tenantOf(row),
    role: row.role,
  };
}

export interface ApiKeyIdentity {
  keyId: string;
  name: string;
  /** The user accountable for the key: whoever created it (through a session or a key). */
  createdBy: string;
  tenant: TenantInfo & TenantBillingInfo;
  /** The lesser of the key's own role and its creator's current role. */
  role: Role;
}

/**
 * The live API key whose secret hashes to `keyHash`, with its tenant and the role it acts with:
 * the lesser of its own and its creator's current role. Null when the key is unknown or revoked,
 * or its creator is no longer a member. Run it outside a transaction, like findSessionIdentity.
 */
export async function findApiKeyIdentity(
  db: Kysely<DB>,
  keyHash: string,
): Promise<ApiKeyIdentity | null> {
  assertOutsideTransaction('The identity read');
  const result = await sql<
    {
      key_id: string;
      key_name: string;
      key_role: Role;
      created_by: string | null;
      creator_role: Role | null;
    } & PrefixedTenant
  >`SELECT * FROM app_api_key_identity(${keyHash})`.execute(db);
  const row = result.rows[0];
  const tenant = row ? tenantOf(row) : null;
  if (!row || !tenant || row.created_by === null || row.creator_role === null) return null;
  const role = rankOf(row.creator_role) < rankOf(row.key_role) ? row.creator_role : row.key_role;
  return { keyId: row.key_id, name: row.key_name, createdBy: row.created_by, tenant, role };
}

type Tenant = TenantInfo & TenantBillingInfo;

/**
 * How long a kept caller is served at most (ms). Every change drops the copies at once; this
 * bounds what is left when that cannot happen: a writer that cannot reach Redis waits this long
 * before it answers (services.ts), and a process that dies between its commit and the drop
 * leaves copies elsewhere for at most this long. A caller is read again every 5 s per process.
 */
export const IDENTITY_COPY_MS = 5_000;
const KEPT_SECONDS = IDENTITY_COPY_MS / 1000;

/**
 * Where a credential's copies are kept: a key's tenant, a session's user. Fixed for the
 * credential's life, so a stale entry only sends a read to a namespace without the copy.
 */
const homes = new Map<string, string>();
const MAX_HOMES = 100_000;
const remember = (key: string, namespace: string) => {
  if (homes.size >= MAX_HOMES) homes.clear();
  homes.set(key, namespace);
};

/** What is kept of a session under its user: the tenant it named and the role there. */
type KeptSession = Omit<SessionIdentity, 'tenant'> & { tenantId: string | null };
const namespaceOfUser = (userId: string) => identityCacheNamespace(userIdentity(userId));
const namespaceOfTenant = (tenantId: string) => identityCacheNamespace(tenantIdentity(tenantId));

/**
 * findSessionIdentity, served from this process's copies when it may be (`since`: when the request
 * began). Without copies (no Redis) every call reads the database.
 */
export async function sessionIdentity(
  db: Kysely<DB>,
  copies: LocalCopies | null,
  sessionHash: string,
  tenantHint: string | null,
  since: number,
): Promise<SessionIdentity | null> {
  if (!copies) return findSessionIdentity(db, sessionHash, tenantHint);
  const key = `s:${sessionHash}|${tenantHint ?? ''}`;
  const home = homes.get(key);
  if (home) {
    const kept = await copies.get<KeptSession>(home, key, since);
    if (kept && kept.expiresAt.getTime() > Date.now()) {
      const { tenantId, ...user } = kept;
      if (tenantId === null) return { ...user, tenant: null };
      const tenant = await copies.get<Tenant>(namespaceOfTenant(tenantId), 'tenant', since);
      if (
        tenant?.id === tenantId &&
        (tenantHint === tenant.id || tenantHint === tenant.subdomain)
      ) {
        return { ...user, tenant };
      }
    }
  }
  const mark = copies.mark();
  const found = await findSessionIdentity(db, sessionHash, tenantHint);
  if (!found) return null;
  const { tenant, ...user } = found;
  if (tenantHint !== null && (!tenant || !found.role)) return found;
  const namespace = namespaceOfUser(found.userId);
  const kept: KeptSession = { ...user, tenantId: tenant?.id ?? null };
  copies.keep(namespace, key, kept, KEPT_SECONDS, mark);
  if (tenant) copies.keep(namespaceOfTenant(tenant.id), 'tenant', tenant, KEPT_SECONDS, mark);
  remember(key, namespace);
  return found;
}

/** findApiKeyIdentity, served from this process's copies when it may be (as sessionIdentity). */
export async function apiKeyIdentity(
  db: Kysely<DB>,
  copies: LocalCopies | null,
  keyHash: string,
  since: number,
): Promise<ApiKeyIdentity | null> {
  if (!copies) return findApiKeyIdentity(db, keyHash);
  const key = `k:${keyHash}`;
  const home = homes.get(key);
  if (home) {
    const kept = await copies.get<ApiKeyIdentity>(home, key, since);
    if (kept) return kept;
  }
  const mark = copies.mark();
  const found = await findApiKeyIdentity(db, keyHash);
  if (!found) return null;
  const namespace = namespaceOfTenant(found.tenant.id);
  copies.keep(namespace, key, found, KEPT_SECONDS, mark);
  remember(key, namespace);
  return found;
}
