import type { Tx } from '../../data/database.ts';
import type { Role } from '../../data/schema.ts';
import type { Principal } from '../principal.ts';

/** Who reads: staff see every site of the tenant, a `client` only the sites granted to them. */
export interface Viewer {
  role: Role;
  /** The signed-in user; null for an API key (a client-role key has no grants, so sees no site). */
  userId: string | null;
}

/** The viewer of a tenant-scoped request. */
export function viewerOf(ctx: { role: Role | null; principal: Principal | null }): Viewer {
  return {
    role: ctx.role ?? 'client',
    userId: ctx.principal?.kind === 'session' ? ctx.principal.userId : null,
  };
}

/** The site ids a client may see (sorted), or null when the viewer sees every site. */
export async function grantedSiteIds(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
): Promise<string[] | null> {
  if (viewer.role !== 'client') return null;
  if (!viewer.userId) return [];
  const rows = await tx
    .selectFrom('site_grants')
    .select('site_id')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', viewer.userId)
    .orderBy('site_id')
    .execute();
  return rows.map((r) => r.site_id);
}
