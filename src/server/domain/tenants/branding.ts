import { createHash } from 'node:crypto';
import { lockAuditChain } from '../audit/record-audit-event.ts';
import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { setScope } from '../../data/scoped-transaction.ts';
import {
  LOGO_CONTENT_TYPES,
  MAX_LOGO_BYTES,
  type Branding,
} from '../../../shared/schemas/tenants.ts';
import { AppError, invalid } from '../../errors.ts';
import { UUID_RE } from '../../lib/ids.ts';
import type { TenantInfo } from '../principal.ts';
import { announceIdentityChanges, tenantIdentity } from '../../data/identity-changes.ts';

export type LogoContentType = (typeof LOGO_CONTENT_TYPES)[number];

/** What tenants.branding.logo records about the uploaded logo (the bytes are in tenant_logos). */
interface StoredLogoRef {
  sha256: string;
  contentType: LogoContentType;
  bytes: number;
  updatedAt: string;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

function logoRef(branding: Record<string, unknown>): StoredLogoRef | null {
  const logo = branding.logo as Partial<StoredLogoRef> | undefined;
  return logo && typeof logo.sha256 === 'string' ? (logo as StoredLogoRef) : null;
}

/** The public path of a workspace's logo, versioned by its hash (so it may be cached long). */
export function logoPath(tenant: Pick<TenantInfo, 'subdomain' | 'branding'>): string | null {
  const ref = logoRef(tenant.branding);
  return ref
    ? `/api/v1/tenant/logo?tenant=${encodeURIComponent(tenant.subdomain)}&v=${ref.sha256.slice(0, 16)}`
    : null;
}

/** The branding a client sees, from the tenant's stored settings. */
export function presentBranding(tenant: Pick<TenantInfo, 'subdomain' | 'branding'>): Branding {
  const b = tenant.branding;
  return {
    displayName: str(b.displayName),
    primaryColor: str(b.primaryColor),
    reportTitle: str(b.reportTitle),
    logoUrl: logoPath(tenant),
  };
}

/** The name clients see: the branding's display name, else the workspace's name. */
export const brandName = (tenant: Pick<TenantInfo, 'name' | 'branding'>) =>
  str(tenant.branding.displayName) ?? tenant.name;

/** The image type its first bytes show (PNG, JPEG, WebP), or null for anything else. */
export function sniffImageType(bytes: Uint8Array): LogoContentType | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    b.length >= 8 &&
    b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  ) {
    return 'image/png';
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (
    b.length >= 16 &&
    b.toString('latin1', 0, 4) === 'RIFF' &&
    b.toString('latin1', 8, 12) === 'WEBP' &&
    /^VP8[ LX]$/.test(b.toString('latin1', 12, 16))
  ) {
    return 'image/webp';
  }
  return null;
}

/**
 * Checks an uploaded logo: a PNG, JPEG or WebP whose content agrees with the Content-Type it was
 * sent with. Anything else (SVG, which can carry script, HTML, GIF, a mislabelled file) is a 400.
 */
export function checkLogo(bytes: Buffer, contentTypeHeader: string | undefined): LogoContentType {
  const declared = (contentTypeHeader ?? '').split(';')[0]!.trim().toLowerCase();
  const accepted = LOGO_CONTENT_TYPES as readonly string[];
  if (bytes.length > MAX_LOGO_BYTES) {
    throw new AppError('payload_too_large', `A logo is at most ${MAX_LOGO_BYTES / 1024} KiB`);
  }
  if (!accepted.includes(declared)) {
    throw invalid(
      [{ path: 'Content-Type', message: 'must be image/png, image/jpeg or image/webp' }],
      'A logo is a PNG, JPEG or WebP image (SVG is not accepted)',
    );
  }
  if (bytes.length === 0) throw invalid([{ path: 'body', message: 'is empty' }]);
  const actual = sniffImageType(bytes);
  if (actual !== declared) {
    throw invalid(
      [{ path: 'body', message: `is not a ${declared.slice(6).toUpperCase()} image` }],
      'The file is not the image its Content-Type says',
    );
  }
  return actual;
}

/** Stores the workspace's logo (replacing any) and records its hash in the branding. */
export async function storeTenantLogo(
  tx: Tx,
  tenantId: string,
  contentType: LogoContentType,
  bytes: Buffer,
): Promise<{ before: string | null; after: StoredLogoRef }> {
  // Lock order as in updateTenantSettings: the audit chain head, then the row as its UPDATE
  // locks it (no key change), so concurrent audited writes and settings changes never deadlock.
  await lockAuditChain(tx, tenantId);
  const previous = await tx
    .selectFrom('tenants')
    .select('branding')
    .where('id', '=', tenantId)
    .forNoKeyUpdate()
    .executeTakeFirstOrThrow();
  const now = new Date();
  const ref: StoredLogoRef = {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    contentType,
    bytes: bytes.length,
    updatedAt: now.toISOString(),
  };
  await tx
    .insertInto('tenant_logos')
    .values({
      tenant_id: tenantId,
      content_type: contentType,
      bytes,
      sha256: ref.sha256,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({
        content_type: contentType,
        bytes,
        sha256: ref.sha256,
        updated_at: now,
      }),
    )
    .execute();
  await announceIdentityChanges(tx, [tenantIdentity(tenantId)]);
  await tx
    .updateTable('tenants')
    .set({
      branding: sql<string>`branding || jsonb_build_object('logo', ${JSON.stringify(ref)}::jsonb)`,
      updated_at: now,
    })
    .where('id', '=', tenantId)
    .execute();
  const before = logoRef((previous.branding ?? {}) as Record<string, unknown>);
  return { before: before?.sha256 ?? null, after: ref };
}

/** Removes the workspace's logo; the hash of the removed one, or null when there was none. */
export async function deleteTenantLogo(tx: Tx, tenantId: string): Promise<string | null> {
  await lockAuditChain(tx, tenantId); // lock order as in storeTenantLogo
  const removed = await tx
    .deleteFrom('tenant_logos')
    .where('tenant_id', '=', tenantId)
    .returning('sha256')
    .executeTakeFirst();
  await announceIdentityChanges(tx, [tenantIdentity(tenantId)]);
  await tx
    .updateTable('tenants')
    .set({ branding: sql<string>`branding - 'logo'`, updated_at: new Date() })
    .where('id', '=', tenantId)
    .execute();
  return removed?.sha256 ?? null;
}

export interface LogoImage {
  contentType: LogoContentType;
  bytes: Buffer;
  sha256: string;
  updatedAt: Date;
}

/** The workspace's logo, or null without one. */
export async function readTenantLogo(tx: Tx, tenantId: string): Promise<LogoImage | null> {
  const row = await tx
    .selectFrom('tenant_logos')
    .select(['content_type', 'bytes', 'sha256', 'updated_at'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    contentType: row.content_type as LogoContentType,
    bytes: Buffer.from(row.bytes),
    sha256: row.sha256,
    updatedAt: row.updated_at,
  };
}

/**
 * The logo of the workspace named by id or subdomain, for anyone (shared reports and e-mails show
 * it): the transaction is switched to that tenant to read it. Null for an unknown workspace and
 * for one without a logo alike.
 */
export async function readPublicLogo(tx: Tx, tenant: string): Promise<LogoImage | null> {
  const name = tenant.trim().toLowerCase();
  const row = await tx
    .selectFrom('tenants')
    .select('id')
    .where(UUID_RE.test(name) ? 'id' : 'subdomain', '=', name)
    .executeTakeFirst();
  if (!row) return null;
  await setScope(tx, { tenantId: row.id });
  return readTenantLogo(tx, row.id);
}
