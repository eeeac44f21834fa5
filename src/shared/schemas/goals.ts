import { z } from 'zod';
import { IsoDateTime, Uuid } from './common.ts';

/**
 * Goals: a target per calendar month or quarter for a site or (siteId null) the whole workspace,
 * and their progress in the current period (issue 13; the contract is silent, docs/roi-model.md).
 */

export const GoalMetric = z.enum(['roi', 'value', 'conversions']);
export type GoalMetric = z.infer<typeof GoalMetric>;
export const GoalPeriod = z.enum(['month', 'quarter']);
export type GoalPeriod = z.infer<typeof GoalPeriod>;

const Target = z
  .number()
  .describe(
    'roi: a ratio (1.5 = 150 %); value: integer minor units; conversions: an integer count',
  );

/** Why a target does not suit its metric, or null when it does. */
export function targetProblem(metric: GoalMetric, target: number): string | null {
  if (!Number.isFinite(target)) return 'must be a number';
  if (metric === 'roi') {
    if (target < -1 || target > 1_000_000) return 'an ROI target is a ratio from -1 to 1000000';
    if (Math.abs(Math.round(target * 1e6) - target * 1e6) > 1e-6)
      return 'an ROI target has at most 6 decimals';
    return null;
  }
  if (!Number.isInteger(target) || target < 0) return `a ${metric} target is a whole number ≥ 0`;
  if (target > 1e13) return 'must be at most 10000000000000';
  return null;
}

const checkTarget = (b: { metric?: GoalMetric; target?: number }, ctx: z.RefinementCtx) => {
  if (b.metric === undefined || b.target === undefined) return;
  const problem = targetProblem(b.metric, b.target);
  if (problem) ctx.addIssue({ code: 'custom', path: ['target'], message: problem });
};

export const CreateGoalBody = z
  .object({
    siteId: Uuid.nullable().describe('The site, or null for the whole workspace'),
    metric: GoalMetric,
    period: GoalPeriod,
    target: Target,
  })
  .superRefine(checkTarget);
export type CreateGoalBody = z.infer<typeof CreateGoalBody>;

export const UpdateGoalBody = z
  .object({ target: Target, metric: GoalMetric, period: GoalPeriod })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'name at least one of target, metric, period')
  .superRefine(checkTarget);
export type UpdateGoalBody = z.infer<typeof UpdateGoalBody>;

export const Goal = z
  .object({
    id: Uuid,
    siteId: Uuid.nullable(),
    metric: GoalMetric,
    period: GoalPeriod,
    target: z.number(),
    createdAt: IsoDateTime,
  })
  .meta({ id: 'Goal' });
export type Goal = z.infer<typeof Goal>;

export const GoalProgress = z
  .object({
    goal: Goal,
    from: z.iso.date().describe('First day of the current month or quarter (workspace time zone)'),
    to: z.iso.date().describe('Last day of the current month or quarter'),
    daysElapsed: z.number().int().describe('Days from `from` through today'),
    daysTotal: z.number().int(),
    actual: z
      .number()
      .nullable()
      .describe('From the ROI report over [from, today]; roi null when there is no cost yet'),
    projected: z
      .number()
      .nullable()
      .describe(
        'value, conversions: actual at the same daily pace over the whole period; roi: the ROI to date',
      ),
    status: z.enum(['met', 'on_track', 'behind']),
  })
  .meta({ id: 'GoalProgress' });
export type GoalProgress = z.infer<typeof GoalProgress>;

export const GoalProgressList = z
  .object({ data: z.array(GoalProgress) })
  .meta({ id: 'GoalProgressList' });
