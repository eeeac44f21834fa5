import type { Tx } from '../../data/database.ts';
import type { Role } from '../../data/schema.ts';
import { AppError } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId, randomToken, sha256Hex } from '../../lib/ids.ts';
import { announceIdentityChanges, tenantIdentity } from '../../data/identity-changes.ts';

/** Every API key starts with this, so a leaked one is easy to recognise. */
export const API_KEY_PREFIX = 'rsk_';

const RANK: Record<Role, number> = { owner: 4, admin: 3, member: 2, client: 1 };

/** A role's rank: owner 4 … client 1. */
export const rankOf = (role: Role) => RANK[role];

/** Whether `actor` may hand out `granted` (a key or an invitation never outranks its creator). */
export const canGrantRole = (actor: Role, granted: Role) => RANK[granted] <= RANK[actor];

type ApiKeyRow = {
  id: string;
  name: string;
  role: Role;
  key_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

const COLUMNS = [
  'id',
  'name',
  'role',
  'key_prefix',
  'created_at',
  'last_used_at',
  'revoked_at',
] as const;

/** Shapes a key for the API, without its secret. */
export const presentApiKey = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.key_prefix,
  createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
});

/** Creates a key: 256 random bits after `rsk_`, returned once; only its SHA-256 is stored. */
export async function createApiKey(
  tx: Tx,
  tenantId: string,
  input: { name: string; role: Role; createdBy: string | null; creatorRole: Role },
) {
  if (!canGrantRole(input.creatorRole, input.role)) {
    throw new AppError(
      'forbidden',
      `An ${input.creatorRole} cannot create a key with the ${input.role} role`,
    );
  }
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  const row = await tx
    .insertInto('api_keys')
    .values({
      tenant_id: tenantId,
      id: newId(),
      name: input.name,
      role: input.role,
      key_hash: sha256Hex(key),
      key_prefix: key.slice(0, 12),
      created_by: input.createdBy,
      created_at: new Date(),
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { row, key };
}

/** Lists the tenant's keys, newest first. */
export async function listApiKeys(
  tx: Tx,
  tenantId: string,
  page: { limit: number; cursor?: string },
) {
  let q = tx
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'desc'));
  const rows = await q.execute();
  const result = paginate(rows, page.limit, (r) => [r.created_at.toISOString(), r.id]);
  return { data: result.data.map(presentApiKey), nextCursor: result.nextCursor };
}

/** Revokes a key; the next request with it gets 401. Unknown ids are a 404. */
export async function revokeApiKey(tx: Tx, tenantId: string, id: string) {
  await announceIdentityChanges(tx, [tenantIdentity(tenantId)]);
  const row = await tx
    .updateTable('api_keys')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(new Date())) }))
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning([...COLUMNS, 'key_hash'])
    .executeTakeFirst();
  if (!row) throw new AppError('not_found', 'API key not found');
  return row;
}
