import type { Request } from 'express';
import type { Role } from '../data/schema.ts';
import type { Identity } from './authenticate.ts';
import type { TenantInfo } from './define-route.ts';
import { AppError } from '../errors.ts';

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
 * The request's tenant among the caller's own, from what `identify` read: an unknown tenant and a
 * tenant the caller does not belong to are the same 404. An API key carries its tenant; naming
 * another is a 404.
 */
export function resolveTenant(
  identity: Identity,
  hint: string | null,
): { tenant: TenantInfo; role: Role } {
  // Built only when thrown: an Error captures its stack, a cost every request would pay.
  const notFound = () => new AppError('not_found', 'Tenant not found');
  const { principal, tenant, role } = identity;
  if (principal.kind === 'api_key') {
    if (!tenant || !role) throw notFound();
    if (hint && hint !== tenant.id && hint !== tenant.subdomain) throw notFound();
    return { tenant, role };
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
  if (!tenant || !role) throw notFound();
  return { tenant, role };
}
