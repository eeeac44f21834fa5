import type { Tx } from '../../data/database.ts';
import type { Role } from '../../data/schema.ts';
import { AppError } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { canGrantRole } from '../api-keys/api-keys.ts';
import {
  announceIdentityChanges,
  tenantIdentity,
  userIdentity,
} from '../../data/identity-changes.ts';

export interface MemberView {
  userId: string;
  email: string;
  name: string;
  role: Role;
  siteIds: string[];
  joinedAt: string;
}

/** Lists the tenant's members, oldest first, with the sites granted to clients. */
export async function listMembers(
  tx: Tx,
  tenantId: string,
  page: { limit: number; cursor?: string },
) {
  let q = tx
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
    .where('memberships.tenant_id', '=', tenantId)
    .orderBy('memberships.created_at')
    .orderBy('users.id')
    .limit(page.limit + 1);
  if (page.cursor)
    q = q.where(
      afterCursor(
        page.cursor,
        ['memberships.created_at', 'timestamp'],
        ['users.id', 'uuid'],
        'asc',
      ),
    );
  const rows = await q.execute();
  const { data, nextCursor } = paginate(rows, page.limit, (r) => [
    r.created_at.toISOString(),
    r.id,
  ]);
  const grants = data.length
    ? await tx
        .selectFrom('site_grants')
        .select(['user_id', 'site_id'])
        .where('tenant_id', '=', tenantId)
        .where(
          'user_id',
          'in',
          data.map((r) => r.id),
        )
        .execute()
    : [];
  return {
    data: data.map((r): MemberView => ({
      userId: r.id,
      email: r.email,
      name: r.name,
      role: r.role,
      siteIds: grants.filter((g) => g.user_id === r.id).map((g) => g.site_id),
      joinedAt: r.created_at.toISOString(),
    })),
    nextCursor,
  };
}

async function getMember(tx: Tx, tenantId: string, userId: string): Promise<MemberView> {
  const row = await tx
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'memberships.role', 'memberships.created_at'])
    .where('memberships.tenant_id', '=', tenantId)
    .where('memberships.user_id', '=', userId)
    .forUpdate(['memberships'])
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'Member not found');
  const grants = await tx
    .selectFrom('site_grants')
    .select('site_id')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .execute();
  return {
    userId: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    siteIds: grants.map((g) => g.site_id),
    joinedAt: row.created_at.toISOString(),
  };
}

/** Fails when removing or demoting `member` would leave the tenant without an owner. */
async function assertNotLastOwner(tx: Tx, tenantId: string, member: MemberView) {
  if (member.role !== 'owner') return;
  const owners = await tx
    .selectFrom('memberships')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('role', '=', 'owner')
    .forUpdate()
    .execute();
  if (owners.length <= 1) {
    throw new AppError(
      'conflict',
      'A workspace must keep at least one owner; make someone else owner first',
    );
  }
}

/** Checks that every site id exists in the tenant (400 naming the bad ones otherwise). */
export async function assertSitesExist(
  tx: Tx,
  tenantId: string,
  siteIds: string[],
  path = 'siteIds',
) {
  if (siteIds.length === 0) return;
  const found = await tx
    .selectFrom('sites')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', siteIds)
    .execute();
  const known = new Set(found.map((s) => s.id));
  const missing = siteIds.map((id, i) => ({ id, i })).filter(({ id }) => !known.has(id));
  if (missing.length > 0) {
    throw new AppError('validation', 'Some sites do not exist', {
      errors: missing.map(({ i }) => ({ path: `${path}.${i}`, message: 'no such site' })),
    });
  }
}

/** Replaces the sites granted to a member. */
export async function setSiteGrants(tx: Tx, tenantId: string, userId: string, siteIds: string[]) {
  await tx
    .deleteFrom('site_grants')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .execute();
  const unique = [...new Set(siteIds)];
  if (unique.length > 0) {
    await tx
      .insertInto('site_grants')
      .values(
        unique.map((site_id) => ({
          tenant_id: tenantId,
          user_id: userId,
          site_id,
          created_at: new Date(),
        })),
      )
      .execute();
  }
}

/**
 * Changes a member's role and/or granted sites. Nobody hands out a role above their own, only an
 * owner changes an owner, and the last owner stays.
 */
export async function updateMember(
  tx: Tx,
  tenantId: string,
  actorRole: Role,
  userId: string,
  patch: { role?: Role; siteIds?: string[] },
): Promise<{ before: MemberView; after: MemberView }> {
  const before = await getMember(tx, tenantId, userId);
  if (before.role === 'owner' && actorRole !== 'owner') {
    throw new AppError('forbidden', 'Only an owner can change an owner');
  }
  if (patch.role && !canGrantRole(actorRole, patch.role)) {
    throw new AppError('forbidden', `An ${actorRole} cannot grant the ${patch.role} role`);
  }
  if (patch.role && patch.role !== 'owner') await assertNotLastOwner(tx, tenantId, before);
  if (patch.role && patch.role !== before.role) {
    await announceIdentityChanges(tx, [userIdentity(userId), tenantIdentity(tenantId)]);
    await tx
      .updateTable('memberships')
      .set({ role: patch.role })
      .where('tenant_id', '=', tenantId)
      .where('user_id', '=', userId)
      .execute();
  }
  if (patch.siteIds) {
    await assertSitesExist(tx, tenantId, patch.siteIds);
    await setSiteGrants(tx, tenantId, userId, patch.siteIds);
  }
  return { before, after: await getMember(tx, tenantId, userId) };
}

/** Removes a member (their account stays). The last owner cannot be removed. */
export async function removeMember(tx: Tx, tenantId: string, actorRole: Role, userId: string) {
  const member = await getMember(tx, tenantId, userId);
  if (member.role === 'owner' && actorRole !== 'owner') {
    throw new AppError('forbidden', 'Only an owner can remove an owner');
  }
  await assertNotLastOwner(tx, tenantId, member);
  await announceIdentityChanges(tx, [userIdentity(userId), tenantIdentity(tenantId)]);
  await tx
    .deleteFrom('memberships')
    .where('tenant_id', '=', tenantId)
    .where('user_id', '=', userId)
    .execute();
  return member;
}
