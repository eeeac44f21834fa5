import { z } from 'zod';
/**
 * Goals (issue 13) as the web app reads them, until the shared schemas carry them (branch
 * roi-model): a target for ROI (a ratio), value (minor units) or conversions per month or quarter.
 */

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
