import type { Tx } from '../../data/database.ts';
import { invalid, notFound } from '../../errors.ts';
import { afterCursor, paginate } from '../../lib/cursor.ts';
import { newId } from '../../lib/ids.ts';
import {
  targetProblem,
  type CreateGoalBody,
  type Goal,
  type GoalPeriod,
  type GoalProgress,
  type UpdateGoalBody,
} from '../../../shared/schemas/goals.ts';
import { addDays, daysBetween, monthStart, nextMonthStart, todayIn } from '../reports/periods.ts';
import { buildRoiReport } from '../reports/roi-report.ts';
import { getVisibleSite } from '../sites/sites.ts';
import { grantedSiteIds, type Viewer } from '../sites/viewer.ts';

const COLUMNS = ['id', 'site_id', 'metric', 'period', 'target', 'created_at'] as const;

type GoalRow = {
  id: string;
  site_id: string | null;
  metric: Goal['metric'];
  period: GoalPeriod;
  target: number;
  created_at: Date;
};

/** The API shape of a goal. */
export const presentGoal = (g: GoalRow): Goal => ({
  id: g.id,
  siteId: g.site_id,
  metric: g.metric,
  period: g.period,
  target: Number(g.target),
  createdAt: g.created_at.toISOString(),
});

const goalNotFound = () => notFound('Goal');

/** Creates a goal for a site the viewer may see (404 otherwise) or the whole workspace. */
export async function createGoal(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  input: CreateGoalBody,
): Promise<Goal> {
  if (input.siteId) await getVisibleSite(tx, tenantId, viewer, input.siteId);
  const now = new Date();
  const row = await tx
    .insertInto('goals')
    .values({
      tenant_id: tenantId,
      id: newId(),
      site_id: input.siteId,
      metric: input.metric,
      period: input.period,
      target: input.target,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return presentGoal(row);
}

/**
 * The goals the viewer may see, oldest first: staff every goal, a client only the goals of their
 * granted sites (not the workspace's).
 */
export async function listGoals(
  tx: Tx,
  tenantId: string,
  viewer: Viewer,
  page: { limit: number; cursor?: string },
): Promise<{ data: Goal[]; nextCursor: string | null }> {
  const granted = await grantedSiteIds(tx, tenantId, viewer);
  if (granted && granted.length === 0) return { data: [], nextCursor: null };
  let q = tx
    .selectFrom('goals')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit + 1);
  if (granted) q = q.where('site_id', 'in', granted);
  if (page.cursor)
    q = q.where(afterCursor(page.cursor, ['created_at', 'timestamp'], ['id', 'uuid'], 'asc'));
  const rows = await q.execute();
  const result = paginate(rows, page.limit, (r) => [r.created_at.toISOString(), r.id]);
  return { data: result.data.map(presentGoal), nextCursor: result.nextCursor };
}

async function lockGoal(tx: Tx, tenantId: string, goalId: string): Promise<GoalRow> {
  const row = await tx
    .selectFrom('goals')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', goalId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw goalNotFound();
  return row;
}

/**
 * Changes a goal's target, metric or period; the target must suit the metric the goal ends up
 * with (400 otherwise). Returns it before and after.
 */
export async function updateGoal(
  tx: Tx,
  tenantId: string,
  goalId: string,
  patch: UpdateGoalBody,
): Promise<{ before: Goal; after: Goal }> {
  const before = presentGoal(await lockGoal(tx, tenantId, goalId));
  const metric = patch.metric ?? before.metric;
  const target = patch.target ?? before.target;
  const problem = targetProblem(metric, target);
  if (problem) throw invalid([{ path: 'body.target', message: problem }]);
  const row = await tx
    .updateTable('goals')
    .set({ metric, target, period: patch.period ?? before.period, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', goalId)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { before, after: presentGoal(row) };
}

/** Deletes a goal; returns it as it was. */
export async function deleteGoal(tx: Tx, tenantId: string, goalId: string): Promise<Goal> {
  const before = presentGoal(await lockGoal(tx, tenantId, goalId));
  await tx.deleteFrom('goals').where('tenant_id', '=', tenantId).where('id', '=', goalId).execute();
  return before;
}

/** The current calendar month or quarter holding `today`: [first day, last day]. */
export function currentPeriod(period: GoalPeriod, today: string): { from: string; to: string } {
  let from = monthStart(today);
  if (period === 'quarter') {
    const month = Number(today.slice(5, 7));
    const first = month - ((month - 1) % 3);
    from = `${today.slice(0, 4)}-${String(first).padStart(2, '0')}-01`;
  }
  let end = nextMonthStart(from);
  if (period === 'quarter') end = nextMonthStart(nextMonthStart(end));
  return { from, to: addDays(end, -1) };
}

/**
 * Where a goal stands in its current period. value and conversions: met once actual ≥ target,
 * otherwise on track when the pace so far (actual × daysTotal / daysElapsed) reaches the target.
 * roi: the ROI to date is both actual and projected; on track when it reaches the target, met
 * when it does on the period's last day, behind when it falls short or is undefined (no cost).
 */
export function goalStatus(
  goal: Pick<Goal, 'metric' | 'target'>,
  actual: number | null,
  daysElapsed: number,
  daysTotal: number,
): Pick<GoalProgress, 'projected' | 'status'> {
  if (goal.metric === 'roi') {
    if (actual === null || actual < goal.target) return { projected: actual, status: 'behind' };
    return { projected: actual, status: daysElapsed >= daysTotal ? 'met' : 'on_track' };
  }
  const value = actual ?? 0;
  const projected = Math.round((value * daysTotal) / daysElapsed);
  if (value >= goal.target) return { projected, status: 'met' };
  return { projected, status: projected >= goal.target ? 'on_track' : 'behind' };
}

/**
 * Progress of every goal the viewer may see in its current month or quarter (the workspace's time
 * zone), each measured by the ROI report over [period start, today] for its site or the whole
 * workspace. Goals sharing a site and period share one report.
 */
export async function goalProgress(
  tx: Tx,
  tenant: { id: string; timezone: string; currency: string },
  viewer: Viewer,
  now = new Date(),
): Promise<GoalProgress[]> {
  const goals: Goal[] = [];
  let cursor: string | undefined;
  do {
    const page = await listGoals(tx, tenant.id, viewer, { limit: 200, cursor });
    goals.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  const today = todayIn(tenant.timezone, now);
  const reports = new Map<string, Promise<Awaited<ReturnType<typeof buildRoiReport>>>>();
  const progress: GoalProgress[] = [];
  for (const goal of goals) {
    const period = currentPeriod(goal.period, today);
    const key = `${goal.siteId ?? '*'}|${goal.period}`;
    let report = reports.get(key);
    if (!report) {
      const sites = goal.siteId ? [{ id: goal.siteId, name: '' }] : null;
      report = buildRoiReport(
        tx,
        tenant.id,
        sites,
        { from: period.from, to: today },
        'month',
        tenant.currency,
      );
      reports.set(key, report);
    }
    const { totals } = await report;
    const actual =
      goal.metric === 'roi'
        ? totals.roi
        : goal.metric === 'value'
          ? totals.value
          : totals.conversions;
    const daysElapsed = daysBetween(period.from, today) + 1;
    const daysTotal = daysBetween(period.from, period.to) + 1;
    progress.push({
      goal,
      from: period.from,
      to: period.to,
      daysElapsed,
      daysTotal,
      actual,
      ...goalStatus(goal, actual, daysElapsed, daysTotal),
    });
  }
  return progress;
}
