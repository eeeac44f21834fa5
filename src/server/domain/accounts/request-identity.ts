import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../data/database.ts';
import type { Role } from '../../data/schema.ts';
import { rankOf } from '../api-keys/api-keys.ts';
import type { TenantInfo } from '../principal.ts';
import { tenantInfoFromRow, type TenantBillingInfo, type TenantRow } from '../tenants/tenants.ts';

// Who is asking, in which tenant and with which role: read fresh in the request's own transaction
// by one indexed query, so a role change, a removal or a revocation holds on the next request on
// every process. The transaction names the secret's hash (app.session_hash / app.key_hash) so
// row-level security admits the rows before the tenant is known (migrations/0005, 0024).

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The tenant columns, prefixed `t_` so they do not clash with the user's or the key's. */
const TENANT_SELECT = sql`t.id AS t_id, t.name AS t_name, t.subdomain AS t_subdomain,
  t.plan AS t_plan, t.currency AS t_currency, t.timezone AS t_timezone, t.branding AS t_branding,
  t.created_at AS t_created_at, t.billing_status AS t_billing_status,
  t.billing_grace_ends_at AS t_billing_grace_ends_at`;

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
 * unknown, revoked or expired. The transaction must name the hash in `app.session_hash`.
 */
export async function findSessionIdentity(
  tx: Tx,
  sessionHash: string,
  tenantHint: string | null,
): Promise<SessionIdentity | null> {
  const tenantMatch: RawBuilder<unknown> =
    tenantHint === null
      ? sql`false`
      : UUID.test(tenantHint)
        ? sql`t.id = ${tenantHint}::uuid`
        : sql`t.subdomain = ${tenantHint}`;
  const result = await sql<
    {
      user_id: string;
      email: string;
      user_name: string;
      expires_at: Date;
      role: Role | null;
    } & PrefixedTenant
  >`SELECT u.id AS user_id, u.email, u.name AS user_name, s.expires_at, m.role, ${TENANT_SELECT}
    FROM sessions s
    JOIN users u ON u.id = s.user_id
    LEFT JOIN tenants t ON ${tenantMatch}
    LEFT JOIN memberships m ON m.tenant_id = t.id AND m.user_id = s.user_id
    WHERE s.token_hash = ${sessionHash} AND s.revoked_at IS NULL AND s.expires_at > now()`.execute(
    tx,
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
 * or its creator is no longer a member. The transaction must name the hash in `app.key_hash`.
 */
export async function findApiKeyIdentity(tx: Tx, keyHash: string): Promise<ApiKeyIdentity | null> {
  const result = await sql<
    {
      key_id: string;
      key_name: string;
      key_role: Role;
      created_by: string | null;
      creator_role: Role | null;
    } & PrefixedTenant
  >`SELECT k.id AS key_id, k.name AS key_name, k.role AS key_role, k.created_by,
           m.role AS creator_role, ${TENANT_SELECT}
    FROM api_keys k
    JOIN tenants t ON t.id = k.tenant_id
    LEFT JOIN memberships m ON m.tenant_id = k.tenant_id AND m.user_id = k.created_by
    WHERE k.key_hash = ${keyHash} AND k.revoked_at IS NULL`.execute(tx);
  const row = result.rows[0];
  const tenant = row ? tenantOf(row) : null;
  if (!row || !tenant || row.created_by === null || row.creator_role === null) return null;
  const role = rankOf(row.creator_role) < rankOf(row.key_role) ? row.creator_role : row.key_role;
  return { keyId: row.key_id, name: row.key_name, createdBy: row.created_by, tenant, role };
}
