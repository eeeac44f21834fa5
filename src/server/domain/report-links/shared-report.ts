import { createHmac, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { setScope } from '../../data/scoped-transaction.ts';
import { sha256Hex } from '../../lib/ids.ts';
import type { ReportPeriod } from '../../../shared/schemas/report-period.ts';
import { resolvePeriod } from '../reports/period-presets.ts';
import { readReportDocument, type ReportDocument } from '../reports/report-document.ts';
import { TENANT_COLUMNS, tenantInfoFromRow } from '../tenants/tenants.ts';

/** A live share link as a public request finds it by its token. */
export interface SharedLink {
  id: string;
  tenantId: string;
  name: string;
  siteIds: string[];
  period: ReportPeriod;
  passwordHash: string | null;
}

/**
 * The live link whose token this is, or null for an unknown, revoked or expired token alike. The
 * transaction names the token's hash in app.share_hash, which the table's policy admits
 * (migrations/0060): only a caller holding the token reads its row before the tenant is known.
 */
export async function findSharedLink(
  tx: Tx,
  token: string,
  now = new Date(),
): Promise<SharedLink | null> {
  const hash = sha256Hex(token);
  await sql`SELECT set_config('app.share_hash', ${hash}, true)`.execute(tx);
  const row = await tx
    .selectFrom('report_links')
    .select([
      'tenant_id',
      'id',
      'name',
      'site_ids',
      'period',
      'password_hash',
      'expires_at',
      'revoked_at',
    ])
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  await sql`SELECT set_config('app.share_hash', '', true)`.execute(tx);
  if (!row || row.revoked_at) return null;
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return null;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    siteIds: row.site_ids,
    period: row.period as ReportPeriod,
    passwordHash: row.password_hash,
  };
}

/**
 * Reads a link's report for a reader: the workspace's branding, the link's sites that still exist,
 * the ROI report over the link's period (a preset resolved in the workspace's time zone now) with
 * the previous period for comparison, and the annotations of those sites and the workspace in the
 * period. Nothing else of the workspace is read. `countView` records the view (a successful read).
 */
export async function readSharedReport(
  tx: Tx,
  link: SharedLink,
  options: { now?: Date; withLogo?: boolean; countView?: boolean } = {},
): Promise<ReportDocument & { name: string }> {
  const now = options.now ?? new Date();
  await setScope(tx, { tenantId: link.tenantId });
  const tenantRow = await tx
    .selectFrom('tenants')
    .select(TENANT_COLUMNS)
    .where('id', '=', link.tenantId)
    .executeTakeFirstOrThrow();
  const tenant = tenantInfoFromRow(tenantRow);
  const sites =
    link.siteIds.length === 0
      ? []
      : await tx
          .selectFrom('sites')
          .select(['id', 'name', 'domain'])
          .where('tenant_id', '=', link.tenantId)
          .where('id', 'in', link.siteIds)
          .orderBy('name')
          .orderBy('id')
          .execute();
  const range = resolvePeriod(link.period, tenant.timezone, now);
  const doc = await readReportDocument(tx, tenant, sites, range, {
    period: link.period,
    withLogo: options.withLogo,
  });
  if (options.countView) {
    await tx
      .updateTable('report_links')
      .set({ views: sql<number>`views + 1`, last_viewed_at: now })
      .where('tenant_id', '=', link.tenantId)
      .where('id', '=', link.id)
      .execute();
  }
  return { ...doc, name: link.name };
}

/** The public JSON of a shared report (no workspace internals, no logo bytes). */
export const presentSharedReport = (doc: ReportDocument & { name: string }) => ({
  branding: doc.branding,
  name: doc.name,
  period: doc.period!,
  sites: doc.sites,
  report: doc.report,
  siteReport: doc.siteReport,
  annotations: doc.annotations,
});

// Unlock cookies --------------------------------------------------------------------------------

/** How long an unlocked link stays unlocked in a browser. */
export const UNLOCK_TTL_SECONDS = 12 * 60 * 60;
/** Wrong passwords a link takes in a minute before every attempt is refused until it passes. */
export const UNLOCK_MAX_FAILURES = 10;
export const UNLOCK_WINDOW_SECONDS = 60;
/** The rate-limit counter of a link's wrong passwords (shared across processes with Redis). */
export const unlockFailureKey = (linkId: string) => `report-unlock:${linkId}`;

function unlockMac(key: Buffer, link: SharedLink, expires: number): string {
  return createHmac('sha256', createHmac('sha256', key).update('report-link-unlock').digest())
    .update(`${link.id}.${link.passwordHash ?? ''}.${expires}`)
    .digest('base64url');
}

/**
 * The value of the cookie that unlocks one link: its expiry and an HMAC (keyed by the encryption
 * key) of the link and its current password hash, so a new password locks every reader out again.
 */
export function unlockCookieValue(key: Buffer, link: SharedLink, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + UNLOCK_TTL_SECONDS;
  return `${expires}.${unlockMac(key, link, expires)}`;
}

/** Whether a link may be read: it has no password, or the cookie unlocks this very link. */
export function isUnlocked(
  key: Buffer,
  link: SharedLink,
  cookie: string | undefined,
  now = Date.now(),
): boolean {
  if (!link.passwordHash) return true;
  const [expiresText, mac] = (cookie ?? '').split('.');
  const expires = Number(expiresText);
  if (!mac || !Number.isInteger(expires) || expires * 1000 <= now) return false;
  const expected = Buffer.from(unlockMac(key, link, expires));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
