import { z } from 'zod';
import { IsoDateTime, ListQuery, text, Timestamp, Uuid } from './common.ts';
import { ReportPeriod } from './report-period.ts';
import { Annotation } from './annotations.ts';
import { RoiReport } from './roi.ts';
import { Branding } from './tenants.ts';

/** Shared report links (contract: Client reporting (v2)). */

const LinkName = text().trim().min(1).max(200);
const LinkPassword = text()
  .min(6, 'must be at least 6 characters')
  .max(200, 'must be at most 200 characters');

export const CreateReportLinkBody = z.object({
  name: LinkName,
  siteIds: z.array(Uuid).min(1, 'name at least one site').max(100),
  period: ReportPeriod,
  password: LinkPassword.nullable().optional().describe('Readers must enter it; null: none'),
  expiresAt: Timestamp.nullable().optional().describe('After this the link is gone (404)'),
});
export type CreateReportLinkBody = z.infer<typeof CreateReportLinkBody>;

export const UpdateReportLinkBody = z
  .object({
    name: LinkName,
    siteIds: z.array(Uuid).min(1, 'name at least one site').max(100),
    period: ReportPeriod,
    password: LinkPassword.nullable().describe('A new password, or null to remove it'),
    expiresAt: Timestamp.nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field');
export type UpdateReportLinkBody = z.infer<typeof UpdateReportLinkBody>;

export const ReportLink = z
  .object({
    id: Uuid,
    name: z.string(),
    url: z.string().describe('<APP_URL>/r/<token>: anyone with it reads the report'),
    siteIds: z.array(Uuid),
    period: ReportPeriod,
    expiresAt: IsoDateTime.nullable(),
    hasPassword: z.boolean(),
    views: z.number().int(),
    lastViewedAt: IsoDateTime.nullable(),
    createdAt: IsoDateTime,
  })
  .meta({ id: 'ReportLink' });
export type ReportLink = z.infer<typeof ReportLink>;

export const ListReportLinksQuery = ListQuery.extend({
  siteId: Uuid.optional().describe('Only the links that include this site'),
});

export const ReportTokenParams = z.object({
  token: text()
    .min(16)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, 'is not a report token'),
});

export const PublicReportQuery = z.object({
  format: z.enum(['json', 'pdf']).optional().describe('pdf: the report as a PDF'),
});

export const UnlockReportBody = z.object({ password: text().min(1).max(200) });

export const PublicReport = z
  .object({
    branding: Branding.extend({
      name: z.string().describe('displayName, else the workspace name'),
    }),
    name: z.string().describe("The link's name"),
    period: ReportPeriod,
    sites: z.array(z.object({ id: Uuid, name: z.string(), domain: z.string() })),
    report: RoiReport.describe('The ROI report of those sites over the period, compare=previous'),
    siteReport: RoiReport.describe('The same report grouped by site (the per-site table)'),
    annotations: z.array(Annotation),
  })
  .meta({ id: 'PublicReport' });
export type PublicReport = z.infer<typeof PublicReport>;
