import { useState, type FormEvent } from 'react';
import {
  createGoal,
  deleteGoal,
  getGoalProgress,
  updateGoal,
  type GoalProgressT,
  type GoalT,
} from '../api/endpoints.ts';
import { ApiError } from '../api/problem.ts';
import { formatDateRange } from '../lib/dates.ts';
import {
  formatMoney,
  formatNumber,
  formatPercent,
  minorToInput,
  parseMoney,
} from '../lib/money.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { RoiHelp } from './roi-help.tsx';
import {
  Badge,
  Button,
  Card,
  ConfirmButton,
  Dialog,
  EmptyState,
  Field,
  FormActions,
  FormError,
  Loadable,
} from './ui.tsx';

type Metric = GoalT['metric'];
type GoalPeriod = GoalT['period'];

const METRICS: { value: Metric; label: string }[] = [
  { value: 'roi', label: 'ROI' },
  { value: 'value', label: 'Value' },
  { value: 'conversions', label: 'Conversions' },
];
const STATUS: Record<GoalProgressT['status'], { label: string; tone: 'good' | 'bad' | 'info' }> = {
  met: { label: 'Met', tone: 'good' },
  on_track: { label: 'On track', tone: 'info' },
  behind: { label: 'Behind', tone: 'bad' },
};

/** A goal's figure (target, actual, projection) as it reads: ROI in %, value in the currency. */
export function formatGoalFigure(metric: Metric, v: number | null, currency: string): string {
  if (metric === 'roi') return formatPercent(v);
  if (metric === 'value') return formatMoney(v, currency);
  return formatNumber(v);
}

interface SiteOption {
  id: string;
  name: string;
}

function goalTitle(goal: GoalT, sites: readonly SiteOption[], currency: string): string {
  const metric = METRICS.find((m) => m.value === goal.metric)?.label ?? goal.metric;
  const scope = goal.siteId
    ? (sites.find((s) => s.id === goal.siteId)?.name ?? 'A site')
    : 'All sites';
  const per = goal.period === 'month' ? 'a month' : 'a quarter';
  return `${scope}: ${metric} of ${formatGoalFigure(goal.metric, goal.target, currency)} ${per}`;
}

/** The form of a goal: what it measures, where, per which period, and the target in its unit. */
function GoalDialog({
  open,
  goal,
  sites,
  currency,
  onClose,
  onSaved,
}: {
  open: boolean;
  goal: GoalT | null;
  sites: readonly SiteOption[];
  currency: string;
  onClose: () => void;
  onSaved: () => void;
}) {
  const initialTarget = (g: GoalT | null) =>
    !g
      ? ''
      : g.metric === 'roi'
        ? String(Math.round(g.target * 10000) / 100)
        : g.metric === 'value'
          ? minorToInput(g.target, currency)
          : String(g.target);
  const [form, setForm] = useState({
    siteId: goal?.siteId ?? '',
    metric: goal?.metric ?? ('roi' as Metric),
    period: goal?.period ?? ('month' as GoalPeriod),
    target: initialTarget(goal),
  });
  const submit = useSubmit(async (body: Parameters<typeof createGoal>[0]) => {
    // A goal keeps its site: the API changes only what it measures, its period and its target.
    if (goal)
      await updateGoal(goal.id, { metric: body.metric, period: body.period, target: body.target });
    else await createGoal(body);
    onSaved();
  });
  const targetOf = (): number | null => {
    const raw = form.target.trim();
    if (form.metric === 'value') return parseMoney(raw, currency);
    if (!/^-?\d+(\.\d+)?$/.test(raw.replace(/,/g, ''))) return null;
    const n = Number(raw.replace(/,/g, ''));
    if (form.metric === 'roi') return Math.round(n * 100) / 10000;
    return Number.isInteger(n) && n >= 0 ? n : null;
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const target = targetOf();
    if (target === null) {
      submit.setFieldErrors([
        {
          path: 'target',
          message:
            form.metric === 'roi'
              ? 'must be a percentage such as 150'
              : form.metric === 'value'
                ? `must be an amount in ${currency} such as 5000.00`
                : 'must be a whole number of conversions',
        },
      ]);
      return;
    }
    void submit.run({
      siteId: form.siteId || null,
      metric: form.metric,
      period: form.period,
      target,
    });
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));
  return (
    <Dialog open={open} title={goal ? 'Edit goal' : 'New goal'} onClose={onClose}>
      <form onSubmit={onSubmit} noValidate className="form">
        <FormError error={submit.error} fields={['siteId', 'metric', 'period', 'target']} />
        <Field
          label="Applies to"
          name="siteId"
          errors={submit.fieldErrors}
          hint={goal ? 'A goal keeps its site; add another goal for another site.' : undefined}
        >
          {(p) => (
            <select {...p} value={form.siteId} onChange={set('siteId')} disabled={goal !== null}>
              <option value="">All sites</option>
              {sites.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Measure" name="metric" errors={submit.fieldErrors}>
          {(p) => (
            <select {...p} value={form.metric} onChange={set('metric')}>
              {METRICS.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Each" name="period" errors={submit.fieldErrors}>
          {(p) => (
            <select {...p} value={form.period} onChange={set('period')}>
              <option value="month">Month</option>
              <option value="quarter">Quarter</option>
            </select>
          )}
        </Field>
        <Field
          label={
            form.metric === 'roi'
              ? 'Target ROI (%)'
              : form.metric === 'value'
                ? `Target value (${currency})`
                : 'Target conversions'
          }
          name="target"
          errors={submit.fieldErrors}
          hint={
            form.metric === 'roi'
              ? '150 means the value credited is 2.5 times the cost.'
              : form.metric === 'value'
                ? 'The value credited to SEO over the period, after attribution.'
                : undefined
          }
        >
          {(p) => <input {...p} inputMode="decimal" value={form.target} onChange={set('target')} />}
        </Field>
        <FormActions submitLabel="Save goal" busy={submit.busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function GoalRow({
  item,
  sites,
  currency,
  canManage,
  onEdit,
  onDeleted,
}: {
  item: GoalProgressT;
  sites: readonly SiteOption[];
  currency: string;
  canManage: boolean;
  onEdit: () => void;
  onDeleted: () => void;
}) {
  const { goal } = item;
  const title = goalTitle(goal, sites, currency);
  const remove = useSubmit(async () => {
    await deleteGoal(goal.id);
    onDeleted();
  });
  const fig = (v: number | null) => formatGoalFigure(goal.metric, v, currency);
  const ratio =
    item.actual === null || goal.target <= 0
      ? 0
      : Math.max(0, Math.min(1, item.actual / goal.target));
  const status = STATUS[item.status];
  return (
    <li className="goal" data-testid="goal">
      <div className="goal-head">
        <strong>{title}</strong>
        {goal.metric === 'roi' && <RoiHelp />}
        <Badge tone={status.tone}>{status.label}</Badge>
      </div>
      <div className="goal-progress">
        <progress
          max={1}
          value={ratio}
          aria-label={`${title}: progress`}
          aria-valuetext={`${fig(item.actual)} of ${fig(goal.target)}`}
        />
        <span className="small">
          {fig(item.actual)} of {fig(goal.target)}
        </span>
      </div>
      <p className="muted small">
        {formatDateRange(item.from, item.to)} · day {item.daysElapsed} of {item.daysTotal}
        {item.status !== 'met' &&
          item.projected !== null &&
          ` · at this pace: ${fig(item.projected)} by the end`}
      </p>
      {canManage && (
        <div className="row-actions">
          <Button className="btn-small" onClick={onEdit} aria-label={`Edit goal ${title}`}>
            Edit
          </Button>
          <ConfirmButton
            className="btn-small"
            variant="danger"
            busy={remove.busy}
            aria-label={`Delete goal ${title}`}
            question={`Delete the goal "${title}"?`}
            onConfirm={() => void remove.run()}
          >
            Delete
          </ConfirmButton>
        </div>
      )}
      <FormError error={remove.error} />
    </li>
  );
}

/**
 * Goals for the current month or quarter: how far each is, and whether the pace so far reaches
 * the target by the period's end (on track), falls short (behind) or has already reached it (met).
 * Staff (everyone but clients) create, edit and delete them here.
 */
export function GoalsPanel({
  sites,
  currency,
  canManage,
  refreshKey,
}: {
  sites: readonly SiteOption[];
  currency: string;
  canManage: boolean;
  refreshKey?: unknown;
}) {
  const progress = useResource((signal) => getGoalProgress(signal), [refreshKey]);
  const [editing, setEditing] = useState<{ goal: GoalT | null } | null>(null);
  // A role that may not see goals gets no panel rather than an error.
  if (progress.error instanceof ApiError && progress.error.status === 403) return null;
  return (
    <Card
      title="Goals"
      className="mt"
      actions={
        canManage && (
          <Button onClick={() => setEditing({ goal: null })} variant="primary">
            Add goal
          </Button>
        )
      }
    >
      <Loadable resource={progress} label="goals">
        {({ data }) =>
          data.length === 0 ? (
            <EmptyState title="No goals yet">
              <p className="muted">
                A target for ROI, value or conversions per month or quarter shows here with its
                pace.
              </p>
            </EmptyState>
          ) : (
            <ul className="goals" aria-live="polite">
              {data.map((item) => (
                <GoalRow
                  key={item.goal.id}
                  item={item}
                  sites={sites}
                  currency={currency}
                  canManage={canManage}
                  onEdit={() => setEditing({ goal: item.goal })}
                  onDeleted={progress.reload}
                />
              ))}
            </ul>
          )
        }
      </Loadable>
      {editing && (
        <GoalDialog
          open
          key={editing.goal?.id ?? 'new'}
          goal={editing.goal}
          sites={sites}
          currency={currency}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            progress.reload();
          }}
        />
      )}
    </Card>
  );
}
