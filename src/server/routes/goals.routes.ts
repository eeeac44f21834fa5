import { IdParams, ListQuery, Page } from '../../shared/schemas/common.ts';
import {
  CreateGoalBody,
  Goal,
  GoalProgressList,
  UpdateGoalBody,
} from '../../shared/schemas/goals.ts';
import { diffChanges } from '../domain/audit/record-audit-event.ts';
import {
  createGoal,
  deleteGoal,
  goalProgress,
  listGoals,
  updateGoal,
} from '../domain/goals/goals.ts';
import { createdChanges, deletedChanges } from '../domain/sites/changes.ts';
import { viewerOf } from '../domain/sites/viewer.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

const GOAL_FIELDS = ['siteId', 'metric', 'period', 'target'] as const;

export const goalRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/goals',
    tag: 'Goals',
    summary: 'Set a goal',
    description:
      'A target per calendar month or quarter for a site (siteId) or the whole workspace (siteId null): roi as a ratio (1.5 = 150 %), value in integer minor units, conversions an integer. Progress: GET /api/v1/goals/progress.',
    body: CreateGoalBody,
    responses: { 201: { description: 'Created', schema: Goal } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const goal = await createGoal(ctx.tx, tenant.id, viewerOf(ctx), body);
      await ctx.audit({
        action: 'goal.created',
        target: { type: 'goal', id: goal.id },
        changes: createdChanges(goal, GOAL_FIELDS),
      });
      return { status: 201, body: goal };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/goals',
    tag: 'Goals',
    summary: 'List goals',
    description: 'Oldest first. A client sees only the goals of their granted sites.',
    query: ListQuery,
    responses: { 200: { description: 'Goals', schema: Page(Goal) } },
    async handler(ctx, { query }) {
      return {
        status: 200,
        body: await listGoals(ctx.tx, requireTenant(ctx).id, viewerOf(ctx), query),
      };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/goals/progress',
    tag: 'Goals',
    summary: 'Progress of the goals in the current period',
    description:
      'For every goal the caller may see: its current calendar month or quarter in the workspace time zone, the days elapsed (through today) and in total, actual (from the ROI report over [period start, today]: roi as a ratio, null without cost; value in minor units; conversions), projected (value and conversions: at the same daily pace over the whole period; roi: the ROI to date) and status: met (value, conversions: actual ≥ target; roi: on the last day), on_track (projected ≥ target) or behind.',
    responses: { 200: { description: 'Progress', schema: GoalProgressList } },
    genericPlans: true,
    async handler(ctx) {
      return {
        status: 200,
        body: { data: await goalProgress(ctx.tx, requireTenant(ctx), viewerOf(ctx)) },
      };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/goals/:id',
    tag: 'Goals',
    summary: 'Change a goal',
    description: 'target, metric, period; the target must suit the metric the goal ends up with.',
    params: IdParams,
    body: UpdateGoalBody,
    responses: { 200: { description: 'The goal', schema: Goal } },
    async handler(ctx, { params, body }) {
      const tenant = requireTenant(ctx);
      const { before, after } = await updateGoal(ctx.tx, tenant.id, params.id, body);
      const changes = diffChanges(before, after, GOAL_FIELDS);
      if (Object.keys(changes).length > 0) {
        await ctx.audit({
          action: 'goal.updated',
          target: { type: 'goal', id: after.id },
          changes,
        });
      }
      return { status: 200, body: after };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/goals/:id',
    tag: 'Goals',
    summary: 'Delete a goal',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    async handler(ctx, { params }) {
      const tenant = requireTenant(ctx);
      const goal = await deleteGoal(ctx.tx, tenant.id, params.id);
      await ctx.audit({
        action: 'goal.deleted',
        target: { type: 'goal', id: goal.id },
        changes: deletedChanges(goal, GOAL_FIELDS),
      });
      return { status: 204 };
    },
  }),
];
