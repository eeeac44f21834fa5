import { z } from 'zod';
import { CalendarDate, dateRange, IsoDateTime, ListQuery, text, Uuid } from './common.ts';

/** Sites, services, time entries, metric imports and the ROI report (contract: Sites, ROI report). */

const HOST_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

/** A host name; a pasted URL (`https://Example.com/path`) is reduced to its lowercase host. */
export const Domain = text()
  .trim()
  .max(2000)
  .transform((v) =>
    v
      .toLowerCase()
      .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
      .replace(/[/?#].*$/, '')
      .replace(/\.$/, ''),
  )
  .refine((v) => HOST_RE.test(v), 'must be a domain such as example.com');

const Name = text().trim().min(1).max(200);
const ClientName = text().trim().min(1).max(200).nullable();

/** A share from 0 to 1 with at most six decimals (0.35 = 35 %), so value is computed exactly. */
export const Share = z
  .number()
  .min(0, 'must be at least 0')
  .max(1, 'must be at most 1')
  .refine((v) => Math.abs(Math.round(v * 1e6) - v * 1e6) < 1e-6, 'must have at most 6 decimals');

/** Minor units; at most 10^13 (a hundred billion in major units) so sums stay exact. */
export const MinorUnits = z.number().int().min(0, 'must not be negative').max(1e13);

export const AttributionBaseline = z
  .object({
    from: CalendarDate.describe('First day of the baseline period'),
    to: CalendarDate.describe('Last day (inclusive); at most 3660 days after from'),
  })
  .superRefine(dateRange('from', 'to'))
  .meta({ id: 'AttributionBaseline' });

const AttributionFields = {
  revenueShare: Share.describe('Share of revenue credited to SEO (e.g. the organic share), 0–1'),
  conversionValue: MinorUnits.describe('Value of one conversion, minor units'),
  grossMargin: Share.describe('Gross margin that turns revenue into profit, 0–1'),
  baseline: AttributionBaseline.nullable().describe(
    'A period before the engagement whose mean daily credited value is subtracted from every day with data; null for none',
  ),
};

export const SiteAttribution = z
  .object(AttributionFields)
  .meta({ id: 'SiteAttribution' })
  .describe(
    'Credited value of a day = round((revenue + conversions × conversionValue) × revenueShare × grossMargin − baselineDailyMean), per day and site',
  );
export type SiteAttribution = z.infer<typeof SiteAttribution>;

/** A change of attribution: the fields named replace the stored ones, the rest stay. */
export const UpdateSiteAttribution = z
  .object(AttributionFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'name at least one attribution field');
export type UpdateSiteAttribution = z.infer<typeof UpdateSiteAttribution>;

export const CreateSiteBody = z.object({
  name: Name,
  domain: Domain,
  clientName: ClientName.optional(),
});
export const UpdateSiteBody = z
  .object({
    name: Name,
    domain: Domain,
    clientName: ClientName,
    attribution: UpdateSiteAttribution,
  })
  .partial()
  .refine(
    (b) => Object.keys(b).length > 0,
    'name at least one of name, domain, clientName, attribution',
  );

export const Site = z
  .object({
    id: Uuid,
    name: z.string(),
    domain: z.string(),
    clientName: z.string().nullable(),
    attribution: SiteAttribution,
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'Site' });
export type Site = z.infer<typeof Site>;

export const SiteIdParams = z.object({ siteId: Uuid });

// Services ---------------------------------------------------------------------------------------

export const BillingType = z.enum(['monthly', 'one_time', 'hourly']);
export type BillingType = z.infer<typeof BillingType>;

const ServiceFields = z.object({
  name: Name,
  category: text().trim().min(1).max(100),
  billing: BillingType,
  amount: MinorUnits.describe(
    'Minor units: per calendar month (monthly), once (one_time) or per hour (hourly)',
  ),
  startDate: CalendarDate,
  endDate: CalendarDate.nullable().optional(),
});

const endNotBeforeStart = (b: { startDate?: string; endDate?: string | null }) =>
  !b.startDate || !b.endDate || b.endDate >= b.startDate;

export const CreateServiceBody = ServiceFields.extend({ siteId: Uuid }).refine(endNotBeforeStart, {
  message: 'must not be before startDate',
  path: ['endDate'],
});
export type CreateServiceBody = z.infer<typeof CreateServiceBody>;

export const UpdateServiceBody = ServiceFields.partial()
  .refine((b) => Object.keys(b).length > 0, 'name at least one field')
  .refine(endNotBeforeStart, { message: 'must not be before startDate', path: ['endDate'] });
export type UpdateServiceBody = z.infer<typeof UpdateServiceBody>;

export const Service = z
  .object({
    id: Uuid,
    siteId: Uuid,
    name: z.string(),
    category: z.string(),
    billing: BillingType,
    amount: z
      .number()
      .int()
      .optional()
      .describe(
        "Minor units: a month's fee, the one-off price or the hourly rate. Omitted for a `client` member on an hourly service: the agency's rate is internal.",
      ),
    currency: z.string(),
    startDate: CalendarDate,
    endDate: CalendarDate.nullable(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .meta({ id: 'Service' });
export type Service = z.infer<typeof Service>;

export const ListServicesQuery = ListQuery.extend({ siteId: Uuid.optional() });

export const Hours = z
  .number()
  .gt(0, 'must be more than 0')
  .max(24, 'must be at most 24')
  .refine((h) => Math.abs(Math.round(h * 100) - h * 100) < 1e-6, 'must have at most 2 decimals');

export const CreateTimeEntryBody = z.object({
  date: CalendarDate,
  hours: Hours,
  note: text().trim().max(1000).nullable().optional(),
});

export const TimeEntry = z
  .object({
    id: Uuid,
    serviceId: Uuid,
    siteId: Uuid,
    date: CalendarDate,
    hours: z.number(),
    note: z.string().nullable(),
    cost: z.number().int().describe('hours × the service amount, rounded to the minor unit'),
    currency: z.string(),
    createdAt: IsoDateTime,
  })
  .meta({ id: 'TimeEntry' });
export type TimeEntry = z.infer<typeof TimeEntry>;

export const TimeEntryParams = z.object({ id: Uuid, entryId: Uuid });

// Metrics ----------------------------------------------------------------------------------------

export const MAX_IMPORT_ROWS = 100_000;
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** One day of a site's performance; a field left out (or null) keeps its stored value. */
export const MetricRow = z.object({
  date: CalendarDate,
  sessions: Count.nullable().optional(),
  conversions: Count.nullable().optional(),
  revenue: MinorUnits.nullable().optional().describe('Minor units'),
  clicks: Count.nullable().optional(),
  impressions: Count.nullable().optional(),
  position: z.number().min(0).max(1e6).nullable().optional(),
});
export type MetricRow = z.infer<typeof MetricRow>;

export const ImportMetricsJsonBody = z.object({ rows: z.array(MetricRow).max(MAX_IMPORT_ROWS) });

export const ImportMetricsResult = z
  .object({ received: z.number().int(), inserted: z.number().int(), updated: z.number().int() })
  .meta({ id: 'ImportMetricsResult' });
export type ImportMetricsResult = z.infer<typeof ImportMetricsResult>;

export const MetricDay = z
  .object({
    date: CalendarDate,
    sessions: z.number().int().nullable(),
    conversions: z.number().int().nullable(),
    revenue: z.number().int().nullable(),
    clicks: z.number().int().nullable(),
    impressions: z.number().int().nullable(),
    position: z.number().nullable(),
  })
  .meta({ id: 'MetricDay' });

export const ListMetricsQuery = ListQuery.extend({
  from: CalendarDate.optional(),
  to: CalendarDate.optional(),
}).superRefine(dateRange('from', 'to'));

// ROI report -------------------------------------------------------------------------------------

export const GroupBy = z.enum(['day', 'week', 'month', 'site']);
export type GroupBy = z.infer<typeof GroupBy>;

/** A query value that may repeat (`?siteId=a&siteId=b`) or be comma separated. */
export const Repeated = z.preprocess(
  (v) =>
    v === undefined
      ? undefined
      : (Array.isArray(v) ? v : [v])
          .flatMap((x) => (typeof x === 'string' ? x.split(',') : [x]))
          .filter(Boolean),
  z.array(Uuid).max(500).optional(),
);

export const RoiReportQuery = z
  .object({
    from: CalendarDate.optional().describe('Inclusive; default: 364 days before `to`'),
    to: CalendarDate.optional().describe("Inclusive; default: today in the workspace's time zone"),
    siteId: Repeated.describe('Repeatable; default: every site the caller may see'),
    groupBy: GroupBy.default('month'),
    compare: z
      .enum(['previous', 'year', 'none'])
      .default('none')
      .describe(
        'previous: the same number of days just before from; year: the same dates a year earlier (29 February as 28 February); none: no comparison',
      ),
    format: z
      .enum(['json', 'csv', 'pdf'])
      .optional()
      .describe(
        'csv: the same report as CSV (also with Accept: text/csv); pdf: a branded PDF of the range with the previous period for comparison, per-site figures and annotations',
      ),
  })
  .superRefine(dateRange('from', 'to'));
export type RoiReportQuery = z.infer<typeof RoiReportQuery>;

const Figures = {
  revenue: z.number().int().describe('As imported, minor units'),
  value: z
    .number()
    .int()
    .describe(
      'Credited value under each site’s attribution, minor units (equal to revenue by default)',
    ),
  cost: z.number().int().describe('Services accrued by day, minor units'),
  profit: z.number().int().describe('value − cost'),
  roi: z.number().nullable().describe('(value − cost) / cost; null when cost is 0'),
  sessions: z.number().int(),
  conversions: z.number().int(),
  clicks: z.number().int(),
  impressions: z.number().int(),
  position: z.number().nullable().describe('Impressions-weighted mean; null without impressions'),
};

export const RoiFigures = z.object(Figures).meta({ id: 'RoiFigures' });
export type RoiFigures = z.infer<typeof RoiFigures>;

export const RoiSeriesItem = z
  .object({ key: z.string(), label: z.string(), ...Figures })
  .meta({ id: 'RoiSeriesItem' });
export type RoiSeriesItem = z.infer<typeof RoiSeriesItem>;

export const RoiCoverage = z
  .object({
    days: z.number().int().describe('Days in the range'),
    daysWithData: z.number().int().describe('Days with a metric row for any of the selected sites'),
  })
  .meta({ id: 'RoiCoverage' });
export type RoiCoverage = z.infer<typeof RoiCoverage>;

export const RoiTotals = z.object({ ...Figures, coverage: RoiCoverage }).meta({ id: 'RoiTotals' });
export type RoiTotals = z.infer<typeof RoiTotals>;

export const RoiComparison = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    totals: RoiTotals,
  })
  .meta({ id: 'RoiComparison' });
export type RoiComparison = z.infer<typeof RoiComparison>;

export const RoiReport = z
  .object({
    currency: z.string(),
    from: CalendarDate,
    to: CalendarDate,
    groupBy: GroupBy,
    totals: RoiTotals,
    series: z.array(RoiSeriesItem),
    comparison: RoiComparison.nullable().describe(
      'Totals of the compared range; null without compare',
    ),
  })
  .meta({ id: 'RoiReport' });
export type RoiReport = z.infer<typeof RoiReport>;
