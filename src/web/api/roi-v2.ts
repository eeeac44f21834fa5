import { z } from 'zod';
import { RoiFigures, RoiReport, RoiSeriesItem, Site } from '../../shared/schemas/roi.ts';

/**
 * Contract v2 ("Sites, services, metrics", "ROI report") as the web app reads it, until the shared
 * schemas carry it (branch roi-model): attribution on sites, value and coverage in the report,
 * comparisons and goals.
 */

export const Attribution = z.object({
  revenueShare: z.number().min(0).max(1),
  conversionValue: z.number().int().min(0),
  grossMargin: z.number().min(0).max(1),
  baseline: z.object({ from: z.string(), to: z.string() }).nullable(),
});
export type Attribution = z.infer<typeof Attribution>;

export const SiteV2 = Site.extend({ attribution: Attribution });

export const Coverage = z.object({ days: z.number().int(), daysWithData: z.number().int() });

const TotalsV2 = RoiFigures.extend({ value: z.number().int(), coverage: Coverage });

export const RoiReportV2 = RoiReport.extend({
  totals: TotalsV2,
  series: z.array(RoiSeriesItem.extend({ value: z.number().int() })),
  comparison: z.object({ from: z.string(), to: z.string(), totals: TotalsV2 }).nullable(),
});

export const GoalMetric = z.enum(['roi', 'value', 'conversions']);
export const GoalPeriod = z.enum(['month', 'quarter']);

export const Goal = z.object({
  id: z.string(),
  siteId: z.string().nullable(),
  metric: GoalMetric,
  period: GoalPeriod,
  target: z.number(),
});
export type Goal = z.infer<typeof Goal>;

export const GoalBody = z.object({
  siteId: z.string().nullable(),
  metric: GoalMetric,
  period: GoalPeriod,
  target: z.number(),
});

export const GoalProgress = z.object({
  goal: Goal,
  from: z.string(),
  to: z.string(),
  daysElapsed: z.number().int(),
  daysTotal: z.number().int(),
  actual: z.number().nullable(),
  projected: z.number().nullable(),
  status: z.enum(['met', 'on_track', 'behind']),
});
export const GoalProgressList = z.object({ data: z.array(GoalProgress) });
