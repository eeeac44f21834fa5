import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { invalid, notFound } from '../../errors.ts';
import { openSecret, sealSecret } from '../../infra/encryption-key.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId, randomToken, sha256Hex } from '../../lib/ids.ts';
import type { ReportLink } from '../../../shared/schemas/report-links.ts';
import type { ReportPeriod } from '../../../shared/schemas/report-period.ts';
import { assertVisibleSites } from '../sites/sites.ts';
import { grantedSiteIds, type Viewer } from '../sites/viewer.ts';

/** 32 random bytes (256 bits; the contract asks for at least 128), base64url: 43 characters. */
const TOKEN_BYTES = 32;

/** What a link's presentation needs besides its row: the key its token is sealed with, the app's URL. */
export interface LinkSecrets {
  encryptionKey: Buffer;
  appUrl: string;
}

interface LinkRow {
  id: string;
  name: string;
  site_ids: string[];
  period: unknown;
  token_encrypted: string;
  password_hash: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  views: number;
  last_viewed_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = [
  'id',
  'name',
  'site_ids',
  'period',
  'token_encrypted',
  'password_hash',
  'expires_at',
  'revoked_at',
  'views',
  'last_viewed_at',
  'created_by',
  'created_at',
  'updated_at',
] as const;

/** The error for a link that does not exist, is revoked or belongs to another tenant: all alike. */
export const linkNotFound = () => notFound('Report link');

/** The API shape of a link; its URL is rebuilt from the sealed token (null if it will not open). */
export function presentReportLink(row: LinkRow, secrets: LinkSecrets): ReportLink {
  const token = openSecret(secrets.encryptionKey, row.token_encrypted, row.id);
  return {
    id: row.id,
    name: row.name,
    url: token ? `${secrets.appUrl}/r/${token}` : '',
    siteIds: row.site_ids,
    period: row.period as ReportPeriod,
    expiresAt: row.expires_at ? row.expires_at.toISOString() : null,
    hasPassword: row.password_hash !== null,
    views: Number(row.views),
    lastViewedAt: row.last_viewed_at ? row.last_viewed_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
  };
}

function assertFutureExpiry(expiresAt: string | null | undefined, now: Date) {
  if (expiresAt && new Date(expiresAt).getTime() <= now.getTime()) {
    throw invalid([{ path: 'expiresAt', message: 'must be in the future' }]);
  }
}

export interface CreateReportLinkInput {
  name: string;
  siteIds: string[];
  period: ReportPeriod;
  /** argon2 hash made before the transaction; null: no password. */
  passwordHash: string | null;
  expiresAt: string | null;
}

/**
 * Creates a share link over sites of the tenant (each must exist: 404 otherwise) with a fresh
 * random token, stored as its hash (for look-ups) and sealed with the encryption key (so managers
 * can copy the URL again). Returns the link with its URL.
 */
export async function createReportLink(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  input: CreateReportLinkInput,
  secrets: LinkSecrets,
): Promise<ReportLink> {
  const now = new Date();
  assertFutureExpiry(input.expiresAt, now);
  const siteIds = [...new Set(input.siteIds)];
  await assertVisibleSites(tx, tenantId, viewer, siteIds);
  const id = newId();
  const token = randomToken(TOKEN_BYTES);
  const row = await tx
    .insertInto('report_links')
    .values({
      tenant_id: tenantId,
      id,
      name: input.name,
      site_ids: siteIds,
      period: JSON.stringify(input.period),
      token_hash: sha256Hex(token),
      token_encrypted: sealSecret(secrets.encryptionKey, token, id),
      password_hash: input.passwordHash,
      expires_at: input.expiresAt ? new Date(input.expiresAt) : null,
      created_by: viewer.userId,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return presentReportLink(row, secrets);
}

/**
 * The tenant's live links (revoked ones are gone), oldest first, in cursor pages; `siteId` keeps
 * those that include the site. A client sees only the links whose every site is granted to them.
 */
export async function listReportLinks(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  query: { siteId?: string; limit: number; cursor?: string },
  secrets: LinkSecrets,
): Promise<{ data: ReportLink[]; nextCursor: string | null }> {
  const granted = await grantedSiteIds(tx, tenantId, viewer);
  if (granted && granted.length === 0) return { data: [], nextCursor: null };
  let q = tx
    .selectFrom('report_links')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.siteId) q = q.where(sql<boolean>`${query.siteId}::uuid = ANY(site_ids)`);
  if (granted) q = q.where(sql<boolean>`site_ids <@ ${granted}::uuid[]`);
  if (query.cursor) {
    q = q.where(afterCursor(query.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'asc'));
  }
  const rows = await q.execute();
  const page = paginate(rows, query.limit, (r) => [r.created_at.toISOString(), r.id]);
  return {
    data: page.data.map((r) => presentReportLink(r, secrets)),
    nextCursor: page.nextCursor,
  };
}

async function lockLink(tx: Tx, tenantId: string, id: string): Promise<LinkRow> {
  const row = await tx
    .selectFrom('report_links')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw linkNotFound();
  return row;
}

export interface UpdateReportLinkInput {
  name?: string;
  siteIds?: string[];
  period?: ReportPeriod;
  /** A new argon2 hash, or null to remove the password; undefined keeps it. */
  passwordHash?: string | null;
  expiresAt?: string | null;
}

/** Changes a live link; returns it before and after (the token stays). */
export async function updateReportLink(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  id: string,
  patch: UpdateReportLinkInput,
  secrets: LinkSecrets,
): Promise<{ before: ReportLink; after: ReportLink }> {
  assertFutureExpiry(patch.expiresAt, new Date());
  const beforeRow = await lockLink(tx, tenantId, id);
  const siteIds = patch.siteIds ? [...new Set(patch.siteIds)] : undefined;
  if (siteIds) await assertVisibleSites(tx, tenantId, viewer, siteIds);
  const row = await tx
    .updateTable('report_links')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(siteIds ? { site_ids: siteIds } : {}),
      ...(patch.period !== undefined ? { period: JSON.stringify(patch.period) } : {}),
      ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
      ...(patch.expiresAt !== undefined
        ? { expires_at: patch.expiresAt ? new Date(patch.expiresAt) : null }
        : {}),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { before: presentReportLink(beforeRow, secrets), after: presentReportLink(row, secrets) };
}

/** Revokes a live link: from now on its URL is a 404 like any unknown one. */
export async function revokeReportLink(
  tx: Tx,
  tenantId: string,
  id: string,
  secrets: LinkSecrets,
): Promise<ReportLink> {
  const row = await lockLink(tx, tenantId, id);
  await tx
    .updateTable('report_links')
    .set({ revoked_at: new Date(), updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
  return presentReportLink(row, secrets);
}
