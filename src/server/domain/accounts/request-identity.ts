import { sql, type Kysely } from 'kysely';
import type { DB } from '../../data/schema.ts';
import { assertOutsideTransaction } from '../../data/scoped-transaction.ts';
import type { Role } from '../../data/schema.ts';
import { rankOf } from '../api-keys/api-keys.ts';
import type { TenantInfo } from '../principal.ts';
import { tenantInfoFromRow, type TenantBillingInfo, type TenantRow } from '../tenants/tenants.ts';

// Who is asking, in which tenant and with which role: read fresh for every request by one
// indexed query, so a role change, a removal or a revocation holds on the next request on every
// process. The query runs in a database function (migrations/0025) that first takes the app role
// and names the secret's hash (app.session_hash / app.key_hash), so row-level security admits the
// rows before the tenant is known (0005, 0024): one statement in autocommit, one round trip.

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
