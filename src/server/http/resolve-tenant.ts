import type { Request } from 'express';
import { inTransaction } from '../data/scoped-transaction.ts';
import type { Role } from '../data/schema.ts';
import { findCachedTenant, findMembershipRole, findTenant } from '../domain/tenants/tenants.ts';
import type { AppServices } from '../services.ts';
import type { Principal, TenantInfo } from './define-route.ts';
import { AppError } from '../errors.ts';

const MEMBERSHIP_CACHE_SECONDS = 60;

/** Cache namespace of a tenant's memberships: invalidate it whenever a membership changes. */
export const membershipCacheNamespace = (tenantId: string) => `members:${tenantId}`;

/** The tenant a request names by `X-Tenant-ID` (id or subdomain) or by its host. */
export function tenantHint(req: Request, baseDomain: string): string | null {
  const header = req.get('x-tenant-id')?.trim();
  if (header) return header.toLowerCase();
  const host = req.hostname?.toLowerCase();
  const suffix = `.${baseDomain}`;
  if (host && host.endsWith(suffix)) {
    const sub = host.slice(0, -suffix.length);
    if (sub && !sub.includes('.')) return sub;
  }
  return null;
}

/**
 * Finds the request's tenant among the caller's own: an unknown tenant and a tenant the caller
 * does not belong to are the same 404. An API key carries its tenant; naming another is a 404.
 * Tenants and memberships come from the cache when they can (without opening a transaction);
 * `since` is when the request began (see Cache.get).
 */
export async function resolveTenant(
  req: Request,
  principal: Principal,
  services: AppServices,
  since?: number,
): Promise<{ tenant: TenantInfo; role: Role }> {
  const hint = tenantHint(req, services.config.BASE_DOMAIN);
  // Built only when thrown: an Error captures its stack, a cost every request would pay.
  const notFound = () => new AppError('not_found', 'Tenant not found');
  const lookup = async (idOrSubdomain: string) =>
    (await findCachedTenant(services.cache, idOrSubdomain, since)) ??
    inTransaction(services.database, {}, (tx) => findTenant(tx, services.cache, idOrSubdomain));

  if (principal.kind === 'api_key') {
    const tenant = await lookup(principal.tenantId);
    if (!tenant) throw notFound();
    if (hint && hint !== tenant.id && hint !== tenant.subdomain) throw notFound();
    return { tenant, role: principal.role };
  }
  if (!hint) {
    throw new AppError(
      'validation',
      'Name the tenant with the X-Tenant-ID header or its subdomain',
      {
        errors: [{ path: 'X-Tenant-ID', message: 'is required' }],
      },
    );
  }
  const tenant = await lookup(hint);
  if (!tenant) throw notFound();
  const ns = membershipCacheNamespace(tenant.id);
  let role = await services.cache.get<Role | 'none'>(ns, principal.userId, { since });
  if (!role) {
    // Read before the membership: a removal committed meanwhile keeps the old role out of the cache.
    const generation = await services.cache.generation(ns);
    role =
      (await inTransaction(
        services.database,
        { tenantId: tenant.id, userId: principal.userId },
        (tx) => findMembershipRole(tx, tenant.id, principal.userId),
      )) ?? 'none';
    await services.cache.set(ns, principal.userId, role, MEMBERSHIP_CACHE_SECONDS, {
      ifGeneration: generation,
    });
  }
  if (role === 'none') throw notFound();
  return { tenant, role };
}
