import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { setScope } from '../../data/scoped-transaction.ts';
import type { Role } from '../../data/schema.ts';
import type { TenantInfo } from '../principal.ts';
import { AppError } from '../../errors.ts';
import { newId } from '../../lib/ids.ts';
import { lockAuditChain } from '../audit/record-audit-event.ts';
import { assertCurrencyChangeAllowed } from './currency-lock.ts';
import { presentBranding } from './branding.ts';
import { announceIdentityChanges, tenantIdentity } from '../../data/identity-changes.ts';

/** Subdomains that name parts of the product, not a tenant. */
export const RESERVED_SUBDOMAINS = new Set([
  'www',
  'api',
  'app',
  'admin',
  'administrator',
  'root',
  'mail',
  'email',
  'smtp',
  'ftp',
  'ns1',
  'ns2',
  'dns',
  'static',
  'assets',
  'cdn',
  'img',
  'images',
  'media',
  'files',
  'docs',
  'help',
  'support',
  'status',
  'blog',
  'dashboard',
  'billing',
  'stripe',
  'webhooks',
  'auth',
  'login',
  'signup',
  'account',
  'accounts',
  'security',
  'dev',
  'staging',
  'test',
  'demo',
  'sandbox',
  'internal',
  'system',
  'localhost',
  'roi',
  'roispectrum',
  'spectrum',
]);

/** Why a syntactically valid subdomain cannot be taken, or null when it can. */
export async function subdomainUnavailableReason(
  tx: Tx,
  subdomain: string,
): Promise<string | null> {
  if (RESERVED_SUBDOMAINS.has(subdomain)) return 'reserved';
  const taken = await tx
    .selectFrom('tenants')
    .select('id')
    .where('subdomain', '=', subdomain)
    .executeTakeFirst();
  return taken ? 'taken' : null;
}

/** A tenants row as the identity look-up and the settings read it. */
export type TenantRow = {
  id: string;
  name: string;
  subdomain: string;
  plan: string;
  currency: string;
  timezone: string;
  branding: unknown;
  created_at: Date;
  billing_status: string;
  billing_grace_ends_at: Date | null;
};

/** Billing state every member sees (the payment warning); kept on the tenant row by billing. */
export interface TenantBillingInfo {
  billingStatus: string;
  billingGraceEndsAt: string | null;
}

/** Shapes a tenants row as the request's tenant. */
export const tenantInfoFromRow = (row: TenantRow): TenantInfo & TenantBillingInfo => ({
  id: row.id,
  name: row.name,
  subdomain: row.subdomain,
  plan: row.plan,
  currency: row.currency.trim(),
  timezone: row.timezone,
  branding: (row.branding ?? {}) as Record<string, unknown>,
  createdAt: row.created_at.toISOString(),
  billingStatus: row.billing_status,
  billingGraceEndsAt: row.billing_grace_ends_at ? row.billing_grace_ends_at.toISOString() : null,
});

/** The columns of a TenantRow. */
export const TENANT_COLUMNS = [
  'id',
  'name',
  'subdomain',
  'plan',
  'currency',
  'timezone',
  'branding',
  'created_at',
  'billing_status',
  'billing_grace_ends_at',
] as const;

/**
 * Creates a tenant and makes the user its owner. Switches the transaction's scope to the new
 * tenant so the membership insert passes row-level security.
 */
export async function createTenant(
  tx: Tx,
  userId: string,
  input: { name: string; subdomain: string },
): Promise<TenantInfo> {
  if (RESERVED_SUBDOMAINS.has(input.subdomain)) {
    throw new AppError('validation', 'This subdomain is reserved', {
      errors: [{ path: 'subdomain', message: 'is reserved' }],
    });
  }
  const now = new Date();
  const row = await tx
    .insertInto('tenants')
    .values({
      id: newId(),
      name: input.name,
      subdomain: input.subdomain,
      branding: '{}',
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('subdomain').doNothing())
    .returning(TENANT_COLUMNS)
    .executeTakeFirst();
  if (!row) {
    throw new AppError('conflict', 'This subdomain is taken', {
      errors: [{ path: 'subdomain', message: 'is taken' }],
    });
  }
  await setScope(tx, { tenantId: row.id, userId });
  await tx
    .insertInto('memberships')
    .values({ tenant_id: row.id, user_id: userId, role: 'owner', created_at: now })
    .execute();
  return tenantInfoFromRow(row);
}

/** The caller's role in a tenant, or null when not a member. */
export async function findMembershipRole(
  tx: Tx,
  tenantId: string,
  userId: string,
): Promise<Role | null> {
  const row = await tx
    .selectFrom('memberships')
    .select('role')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role ?? null;
}

/** The user's workspaces. */
export async function listMemberships(tx: Tx, userId: string) {
  const rows = await tx
    .selectFrom('memberships')
    .innerJoin('tenants', 'tenants.id', 'memberships.tenant_id')
    .select(['tenants.id', 'tenants.name', 'tenants.subdomain', 'memberships.role'])
    .where('memberships.user_id', '=', userId)
    .orderBy('tenants.name')
    .execute();
  return rows.map((r) => ({
    tenant: { id: r.id, name: r.name, subdomain: r.subdomain },
    role: r.role,
  }));
}

export interface TenantSettingsPatch {
  name?: string;
  currency?: string;
  timezone?: string;
  branding?: Record<string, unknown>;
}

/** Updates settings; returns the tenant before and after. */
export async function updateTenantSettings(
  tx: Tx,
  tenantId: string,
  patch: TenantSettingsPatch,
): Promise<{ before: TenantInfo; after: TenantInfo }> {
  // Lock order: the audit chain head first (every audited write takes it, and this change will
  // too), then the tenant row, as its UPDATE does (no key change: it does not block the
  // key-share locks of rows that reference the tenant). A full row lock here, or the head taken
  // after the row, deadlocked with concurrent audited writes. Holding the head also keeps the
  // currency check below from running beside another audited write that has already recorded
  // its event.
  await lockAuditChain(tx, tenantId);
  const beforeRow = await tx
    .selectFrom('tenants')
    .select(TENANT_COLUMNS)
    .where('id', '=', tenantId)
    .forNoKeyUpdate()
    .executeTakeFirstOrThrow();
  if (patch.currency !== undefined)
    await assertCurrencyChangeAllowed(tx, tenantId, beforeRow.currency.trim(), patch.currency);
  await announceIdentityChanges(tx, [tenantIdentity(tenantId)]);
  const row = await tx
    .updateTable('tenants')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.currency !== undefined ? { currency: patch.currency } : {}),
      ...(patch.timezone !== undefined ? { timezone: patch.timezone } : {}),
      ...(patch.branding !== undefined
        ? { branding: sql<string>`branding || ${JSON.stringify(patch.branding)}::jsonb` }
        : {}),
      updated_at: new Date(),
    })
    .where('id', '=', tenantId)
    .returning(TENANT_COLUMNS)
    .executeTakeFirstOrThrow();
  return { before: tenantInfoFromRow(beforeRow), after: tenantInfoFromRow(row) };
}

/** The settings document of GET /tenant, without the plan and billing for a `client` member. */
export const presentTenantSettings = (t: TenantInfo & Partial<TenantBillingInfo>, role: Role) => {
  const settings = {
    id: t.id,
    name: t.name,
    subdomain: t.subdomain,
    currency: t.currency,
    timezone: t.timezone,
    branding: presentBranding(t),
    createdAt: t.createdAt,
  };
  // The agency's plan and billing are none of its clients' business (issue 15).
  if (role === 'client') return settings;
  return {
    ...settings,
    plan: t.plan,
    billingStatus: t.billingStatus ?? 'none',
    pastDue: t.billingStatus === 'past_due',
    billingGraceEndsAt: t.billingGraceEndsAt ?? null,
  };
};

/** The tenant document of POST /tenants. */
export const presentTenant = (t: TenantInfo) => ({
  id: t.id,
  name: t.name,
  subdomain: t.subdomain,
  plan: t.plan,
  createdAt: t.createdAt,
});
