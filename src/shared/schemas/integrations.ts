import { z } from 'zod';
import { CalendarDate, dateRange, IsoDateTime, text, Uuid } from './common.ts';

/** Google connections (Search Console and GA4): requests and answers of the contract's section. */

export const StartGoogleConnectionResult = z
  .object({ authorizationUrl: z.string() })
  .meta({ id: 'GoogleAuthorization' });

export const GoogleCallbackQuery = z.object({
  code: text().min(1).max(2000).optional(),
  state: text().min(1).max(500),
  error: text().max(200).optional(),
  scope: text().max(2000).optional(),
  authuser: text().max(20).optional(),
  prompt: text().max(50).optional(),
  hd: text().max(255).optional(),
});

export const Integration = z
  .object({
    id: Uuid,
    provider: z.literal('google'),
    account: z.string(),
    status: z.enum(['active', 'broken']),
    lastError: z.string().nullable(),
    createdAt: IsoDateTime,
  })
  .meta({ id: 'Integration' });
export type Integration = z.infer<typeof Integration>;

export const IntegrationProperties = z
  .object({
    searchConsole: z.array(z.object({ siteUrl: z.string(), permissionLevel: z.string() })),
    analytics: z.array(
      z.object({ propertyId: z.string(), displayName: z.string(), account: z.string() }),
    ),
  })
  .meta({ id: 'IntegrationProperties' });
export type IntegrationProperties = z.infer<typeof IntegrationProperties>;

/** A Search Console property: a URL-prefix property (http/https URL) or a domain property. */
const SearchConsoleProperty = text()
  .min(1)
  .max(2000)
  .refine((v) => /^sc-domain:[a-z0-9.-]+$/i.test(v) || /^https?:\/\/[^\s]+$/i.test(v), {
    message: 'must be a Search Console property: https://example.com/ or sc-domain:example.com',
  });

export const PutSiteSourcesBody = z
  .object({
    integrationId: Uuid,
    searchConsoleProperty: SearchConsoleProperty.nullable().optional(),
    analyticsPropertyId: z
      .string()
      .regex(/^\d{1,20}$/, 'must be the numeric GA4 property id')
      .nullable()
      .optional(),
    organicOnly: z.boolean().default(true),
  })
  .refine((b) => Boolean(b.searchConsoleProperty) || Boolean(b.analyticsPropertyId), {
    message: 'name a Search Console property, a GA4 property or both',
    path: ['searchConsoleProperty'],
  });
export type PutSiteSourcesBody = z.infer<typeof PutSiteSourcesBody>;

export const SiteSources = z
  .object({
    siteId: Uuid,
    integrationId: Uuid,
    searchConsoleProperty: z.string().nullable(),
    analyticsPropertyId: z.string().nullable(),
    organicOnly: z.boolean(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'SiteSources' });
export type SiteSources = z.infer<typeof SiteSources>;

export const StartSyncBody = z
  .object({ from: CalendarDate.optional(), to: CalendarDate.optional() })
  .superRefine(dateRange('from', 'to'));

export const SyncState = z
  .object({
    status: z.enum(['idle', 'queued', 'running', 'failed']),
    progress: z.object({ done: z.number().int(), total: z.number().int() }),
    lastSyncedAt: IsoDateTime.nullable(),
    syncedThrough: CalendarDate.nullable(),
    lastError: z.string().nullable(),
  })
  .meta({ id: 'SyncState' });
export type SyncState = z.infer<typeof SyncState>;

export const SearchTermsQuery = z
  .object({
    from: CalendarDate.optional(),
    to: CalendarDate.optional(),
    dimension: z.enum(['query', 'page']).default('query'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .superRefine(dateRange('from', 'to'));

export const SearchTerm = z
  .object({
    key: z.string(),
    clicks: z.number().int(),
    impressions: z.number().int(),
    ctr: z.number(),
    position: z.number().nullable(),
  })
  .meta({ id: 'SearchTerm' });
export type SearchTerm = z.infer<typeof SearchTerm>;

export const SearchTermsResult = z
  .object({
    from: CalendarDate,
    to: CalendarDate,
    dimension: z.enum(['query', 'page']),
    data: z.array(SearchTerm),
  })
  .meta({ id: 'SearchTerms' });
