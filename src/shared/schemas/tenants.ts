import { z } from 'zod';
import { Currency, IsoDateTime, Role, text, Uuid } from './common.ts';
import { Email, Subdomain } from './accounts.ts';
import { SubscriptionStatus } from './billing.ts';

export const CreateTenantBody = z.object({
  name: text().trim().min(1).max(120),
  subdomain: Subdomain,
});

export const Tenant = z
  .object({
    id: Uuid,
    name: z.string(),
    subdomain: z.string(),
    plan: z.string(),
    createdAt: IsoDateTime,
  })
  .meta({ id: 'Tenant' });

const Colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1a2b3c');

/**
 * What clients see: shared reports, PDFs, report e-mails and a client member's view of the app.
 * The logo is uploaded (PUT /api/v1/tenant/logo), not linked: a stored third-party URL would be
 * fetched by every reader of a shared report and could not go into a PDF.
 */
export const BrandingInput = z.object({
  displayName: text().trim().max(120).nullable().optional(),
  primaryColor: Colour.nullable().optional(),
  reportTitle: text().trim().max(200).nullable().optional(),
  logoUrl: z
    .never({ error: 'upload the logo with PUT /api/v1/tenant/logo (PNG, JPEG or WebP)' })
    .optional(),
});

export const Branding = z
  .object({
    displayName: z.string().nullable().describe("Shown to clients; null: the workspace's name"),
    primaryColor: z.string().nullable(),
    reportTitle: z.string().nullable(),
    logoUrl: z
      .string()
      .nullable()
      .describe('Path of the uploaded logo (GET /api/v1/tenant/logo?tenant=…), null without one'),
  })
  .meta({ id: 'Branding' });
export type Branding = z.infer<typeof Branding>;

/** Logo uploads: the image types accepted, checked by content (magic bytes) as well. */
export const LOGO_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export const MAX_LOGO_BYTES = 256 * 1024;

export const LogoQuery = z.object({
  tenant: text()
    .max(100)
    .optional()
    .describe('The workspace (id or subdomain), when neither X-Tenant-ID nor the host names it'),
  v: text().max(100).optional().describe('The logo version (its hash prefix), for caching'),
});

export const TenantLogo = z
  .object({
    contentType: z.enum(LOGO_CONTENT_TYPES),
    bytes: z.number().int(),
    sha256: z.string(),
    url: z.string(),
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'TenantLogo' });

const AGENCY_ONLY = "Omitted for a `client` member: the agency's plan and billing are internal.";

export const TenantSettings = z
  .object({
    id: Uuid,
    name: z.string(),
    subdomain: z.string(),
    plan: z.string().optional().describe(`The plan whose limits apply. ${AGENCY_ONLY}`),
    currency: z.string(),
    timezone: z.string(),
    branding: Branding,
    createdAt: IsoDateTime,
    /** The Stripe subscription status (`none` without one): drives the payment warning. */
    billingStatus: SubscriptionStatus.optional().describe(
      `The Stripe subscription status (none without one). ${AGENCY_ONLY}`,
    ),
    /** A payment failed: staff see a warning until it is paid or the grace period ends. */
    pastDue: z.boolean().optional().describe(`A payment failed. ${AGENCY_ONLY}`),
    /** When a past_due workspace falls back to the free plan's limits. */
    billingGraceEndsAt: IsoDateTime.nullable()
      .optional()
      .describe(`When a past-due workspace falls back to the free plan. ${AGENCY_ONLY}`),
  })
  .meta({ id: 'TenantSettings' });
export type TenantSettings = z.infer<typeof TenantSettings>;

const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const UpdateTenantBody = z
  .object({
    name: text().trim().min(1).max(120),
    currency: Currency,
    timezone: text().max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris'),
    branding: BrandingInput,
  })
  .partial();

export const SubdomainAvailability = z.object({
  subdomain: z.string(),
  available: z.boolean(),
  reason: z.string().nullable(),
});

export const Member = z
  .object({
    userId: Uuid,
    email: z.string(),
    name: z.string(),
    role: Role,
    siteIds: z.array(Uuid),
    joinedAt: IsoDateTime,
  })
  .meta({ id: 'Member' });

export const UpdateMemberBody = z
  .object({ role: Role.optional(), siteIds: z.array(Uuid).max(1000).optional() })
  .refine((b) => b.role !== undefined || b.siteIds !== undefined, 'name role or siteIds');

export const CreateInvitationBody = z
  .object({
    email: Email,
    role: Role,
    siteIds: z.array(Uuid).max(1000).optional(),
  })
  .superRefine((b, ctx) => {
    // A client sees only the sites granted: without one there is nothing to invite them to.
    if (b.role === 'client' && (b.siteIds?.length ?? 0) === 0)
      ctx.addIssue({ code: 'custom', path: ['siteIds'], message: 'choose at least one site' });
  });

export const Invitation = z
  .object({
    id: Uuid,
    email: z.string(),
    role: Role,
    siteIds: z.array(Uuid),
    createdAt: IsoDateTime,
    expiresAt: IsoDateTime,
    acceptedAt: IsoDateTime.nullable(),
  })
  .meta({ id: 'Invitation' });

/** The token is in the reply once, for the inviter to pass on; it is stored only as a hash. */
export const CreatedInvitation = Invitation.extend({
  token: z.string().nullable(),
  acceptUrl: z.string().nullable(),
});

export const AcceptInvitationBody = z.object({ token: text().min(10).max(200) });

/** What the invitation page shows before accepting; `email` only to whom it may be shown. */
export const InvitationPreview = z
  .object({
    workspaceName: z.string(),
    role: Role,
    invitedBy: z.string().nullable(),
    siteCount: z.number().int(),
    expiresAt: IsoDateTime,
    email: z.string().nullable(),
    forSignedInUser: z.boolean().nullable(),
  })
  .meta({ id: 'InvitationPreview' });

export const ApiKeyRole = Role;
export const CreateApiKeyBody = z.object({ name: text().trim().min(1).max(120), role: Role });
export const ApiKey = z
  .object({
    id: Uuid,
    name: z.string(),
    role: Role,
    prefix: z.string(),
    createdAt: IsoDateTime,
    lastUsedAt: IsoDateTime.nullable(),
    revokedAt: IsoDateTime.nullable(),
  })
  .meta({ id: 'ApiKey' });
/** `key` is null only in an Idempotency-Key replay: the secret is shown once. */
export const CreatedApiKey = z.object({
  id: Uuid,
  name: z.string(),
  role: Role,
  key: z.string().nullable(),
});
