import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { setScope } from '../../data/scoped-transaction.ts';
import type { Role } from '../../data/schema.ts';
import { AppError } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId, randomToken, sha256Hex } from '../../lib/ids.ts';
import { canGrantRole } from '../api-keys/api-keys.ts';
import { assertWithinPlanLimit } from '../billing/plans.ts';
import { normalizeEmail } from '../accounts/users.ts';
import { assertSitesExist, setSiteGrants } from './members.ts';

export const INVITATION_TTL_DAYS = 7;

type InvitationRow = {
  id: string;
  email: string;
  role: Role;
  site_ids: string[];
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
};

const COLUMNS = [
  'id',
  'email',
  'role',
  'site_ids',
  'created_at',
  'expires_at',
  'accepted_at',
] as const;

export const presentInvitation = (i: InvitationRow) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  siteIds: i.site_ids,
  createdAt: i.created_at.toISOString(),
  expiresAt: i.expires_at.toISOString(),
  acceptedAt: i.accepted_at?.toISOString() ?? null,
});

/**
 * Invites an email address. The token is returned once (for the link) and stored as a hash; a
 * pending invitation holds a seat of the plan's member limit.
 */
export async function createInvitation(
  tx: Tx,
  tenantId: string,
  actor: { userId: string | null; role: Role },
  input: { email: string; role: Role; siteIds?: string[] },
) {
  if (!canGrantRole(actor.role, input.role)) {
    throw new AppError('forbidden', `An ${actor.role} cannot invite with the ${input.role} role`);
  }
  const email = normalizeEmail(input.email);
  const existing = await tx
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select('users.id')
    .where('memberships.tenant_id', '=', tenantId)
    .where('users.email_normalized', '=', email)
    .executeTakeFirst();
  if (existing) throw new AppError('conflict', 'This person is already a member');
  const siteIds = input.role === 'client' ? [...new Set(input.siteIds ?? [])] : [];
  await assertSitesExist(tx, tenantId, siteIds);
  // A new invitation for the same address replaces the pending one.
  await tx
    .updateTable('invitations')
    .set({ revoked_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('email_normalized', '=', email)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .execute();
  await assertWithinPlanLimit(tx, tenantId, 'members');
  const token = `inv_${randomToken(32)}`;
  const row = await tx
    .insertInto('invitations')
    .values({
      tenant_id: tenantId,
      id: newId(),
      email: input.email.trim(),
      email_normalized: email,
      role: input.role,
      site_ids: siteIds,
      token_hash: sha256Hex(token),
      invited_by: actor.userId,
      created_at: new Date(),
      expires_at: new Date(Date.now() + INVITATION_TTL_DAYS * 86_400_000),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { row, token };
}

/** Pending invitations, newest first. */
export async function listInvitations(
  tx: Tx,
  tenantId: string,
  page: { limit: number; cursor?: string },
) {
  let q = tx
    .selectFrom('invitations')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', new Date())
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'desc'));
  const rows = await q.execute();
  const result = paginate(rows, page.limit, (r) => [r.created_at.toISOString(), r.id]);
  return { data: result.data.map(presentInvitation), nextCursor: result.nextCursor };
}

/** Withdraws a pending invitation. */
export async function revokeInvitation(tx: Tx, tenantId: string, id: string) {
  const row = await tx
    .updateTable('invitations')
    .set({ revoked_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .returning(COLUMNS)
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'Invitation not found');
  return row;
}

/**
 * Accepts an invitation for the signed-in user: the token finds its tenant (row-level security
 * admits the row whose token hash is named), the user's email must be the invited one, and the membership is created.
 * Switches the transaction's scope to that tenant.
 */
export async function acceptInvitation(tx: Tx, user: { id: string; email: string }, token: string) {
  // Row-level security admits the one invitation whose token hash the transaction names.
  const tokenHash = sha256Hex(token);
  await sql`SELECT set_config('app.invitation_hash', ${tokenHash}, true)`.execute(tx);
  const ref = await tx
    .selectFrom('invitations')
    .select(['id', 'tenant_id'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  const invalid = new AppError('not_found', 'This invitation does not exist or has expired');
  if (!ref) throw invalid;
  await setScope(tx, { tenantId: ref.tenant_id, userId: user.id });
  const inv = await tx
    .selectFrom('invitations')
    .select([...COLUMNS, 'email_normalized', 'revoked_at'])
    .where('tenant_id', '=', ref.tenant_id)
    .where('id', '=', ref.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (inv.accepted_at || inv.revoked_at || inv.expires_at < new Date()) throw invalid;
  if (inv.email_normalized !== normalizeEmail(user.email)) {
    // Never the invited address: whoever holds the link is signed in as someone else.
    throw new AppError(
      'forbidden',
      'This invitation is for another email address; sign in with the address it was sent to',
    );
  }
  const already = await tx
    .selectFrom('memberships')
    .select('role')
    .where('tenant_id', '=', ref.tenant_id)
    .where('user_id', '=', user.id)
    .executeTakeFirst();
  if (already) throw new AppError('conflict', 'You are already a member of this workspace');
  await tx
    .insertInto('memberships')
    .values({ tenant_id: ref.tenant_id, user_id: user.id, role: inv.role, created_at: new Date() })
    .execute();
  // Sites deleted since the invitation was sent are dropped from the grant.
  const sites = inv.site_ids.length
    ? await tx
        .selectFrom('sites')
        .select('id')
        .where('tenant_id', '=', ref.tenant_id)
        .where('id', 'in', inv.site_ids)
        .execute()
    : [];
  await setSiteGrants(
    tx,
    ref.tenant_id,
    user.id,
    sites.map((s) => s.id),
  );
  await tx
    .updateTable('invitations')
    .set({ accepted_at: new Date() })
    .where('tenant_id', '=', ref.tenant_id)
    .where('id', '=', ref.id)
    .execute();
  return { tenantId: ref.tenant_id, invitation: inv };
}

/**
 * What the invitation page tells the person holding the link: the workspace, the role, who
 * invited them and the sites a client will see (by count). The invited address is returned only
 * to a visitor who is signed out (the link holder, to prefill the sign-up form) or signed in with
 * that same address: someone else signed in never learns it. An unknown, used, withdrawn or
 * expired token is the same 404 as accepting it would be.
 */
export async function lookupInvitation(tx: Tx, viewer: { email: string } | null, token: string) {
  const tokenHash = sha256Hex(token);
  await sql`SELECT set_config('app.invitation_hash', ${tokenHash}, true)`.execute(tx);
  const inv = await tx
    .selectFrom('invitations')
    .select([
      'tenant_id',
      'email',
      'email_normalized',
      'role',
      'site_ids',
      'invited_by',
      'expires_at',
      'accepted_at',
      'revoked_at',
    ])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!inv || inv.accepted_at || inv.revoked_at || inv.expires_at < new Date()) {
    throw new AppError('not_found', 'This invitation does not exist or has expired');
  }
  const tenant = await tx
    .selectFrom('tenants')
    .select('name')
    .where('id', '=', inv.tenant_id)
    .executeTakeFirstOrThrow();
  const inviter = inv.invited_by
    ? await tx
        .selectFrom('users')
        .select('name')
        .where('id', '=', inv.invited_by)
        .executeTakeFirst()
    : undefined;
  const forViewer = viewer ? normalizeEmail(viewer.email) === inv.email_normalized : null;
  return {
    workspaceName: tenant.name,
    role: inv.role,
    invitedBy: inviter?.name ?? null,
    siteCount: inv.site_ids.length,
    expiresAt: inv.expires_at.toISOString(),
    email: forViewer === false ? null : inv.email,
    forSignedInUser: forViewer,
  };
}
