import { useMemo, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { downloadRoiReport, getRoiReport, listSites, type RoiReportT } from '../api/endpoints.ts';
import { CumulativeValueChart, RoiBySiteChart, ValueCostChart } from '../components/charts.tsx';
import { DataTable } from '../components/data-table.tsx';
import { GoalsPanel } from '../components/goals-panel.tsx';
import { RoiHelp } from '../components/roi-help.tsx';
import {
  Alert,
  Button,
  Card,
  EmptyState,
  FormError,
  Loadable,
  PageHeader,
} from '../components/ui.tsx';
import {
  daysInclusive,
  formatDateRange,
  groupingFor,
  PERIOD_PRESETS,
  presetRange,
  todayIn,
  type Period,
  type ReportPresetName,
} from '../lib/dates.ts';
import { formatMoney, formatNumber, formatPercent } from '../lib/money.ts';
import { comparisonDelta, describeDelta, isCovered, type Coverage } from '../lib/roi.ts';
import { useResource } from '../lib/use-resource.ts';
import { useSubmit } from '../lib/use-submit.ts';
import { downloadReportPdf } from '../api/reporting-share.ts';
import { isStaff, useWorkspace, useWorkspacePath } from '../session/workspace.tsx';

type Compare = 'previous' | 'year' | 'none';
const COMPARES: { value: Compare; label: string; against: string }[] = [
  { value: 'previous', label: 'Previous', against: 'previous period' },
  { value: 'year', label: 'A year earlier', against: 'a year earlier' },
  { value: 'none', label: 'None', against: '' },
];
const DEFAULT_PRESET: ReportPresetName = 'last_12_months';

interface DashboardData {
  current: RoiReportT;
  bySite: RoiReportT;
}

/** The period, comparison and site filter live in the URL, so a view can be bookmarked and shared. */
function useDashboardFilters(timeZone: string | undefined) {
  const [params, setParams] = useSearchParams();
  const asked = params.get('period');
  const preset: ReportPresetName | 'custom' =
    asked === 'custom' || PERIOD_PRESETS.some((p) => p.value === asked)
      ? (asked as ReportPresetName | 'custom')
      : DEFAULT_PRESET;
  const askedCompare = params.get('compare');
  const compare: Compare = COMPARES.some((c) => c.value === askedCompare)
    ? (askedCompare as Compare)
    : 'previous';
  const siteId = params.get('site') ?? '';
  const today = todayIn(timeZone);
  const fallback = presetRange('last_30_days', today);
  const isDate = (v: string | null): v is string => !!v && /^\d{4}-\d{2}-\d{2}$/.test(v);
  const period: Period =
    preset === 'custom'
      ? {
          from: isDate(params.get('from')) ? params.get('from')! : fallback.from,
          to: isDate(params.get('to')) ? params.get('to')! : fallback.to,
        }
      : presetRange(preset, today);
  // From the address bar, not the rendered params: two quick changes must not undo each other.
  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };
  return { preset, compare, siteId, period, update };
}

function Kpi({
  label,
  value,
  delta,
  testId,
  help,
}: {
  label: string;
  value: string;
  delta: { text: string; tone: string };
  testId: string;
  help?: ReactNode;
}) {
  return (
    <div className="kpi" data-testid={testId}>
      <div className="kpi-label">
        {label}
        {help}
      </div>
      <div className="kpi-value">{value}</div>
      {delta.text && <div className={`kpi-change kpi-${delta.tone}`}>{delta.text}</div>}
    </div>
  );
}

/** "Data on 25 of 30 days", the one fact that decides whether a period can be compared. */
function coverageText(c: Coverage): string {
  return `data on ${formatNumber(c.daysWithData)} of ${formatNumber(c.days)} days`;
}

function Figures({ current, compare }: { current: RoiReportT; compare: Compare }) {
  const t = current.totals;
  const c = current.comparison;
  const against = COMPARES.find((x) => x.value === compare)?.against ?? '';
  const money = (v: number) => formatMoney(v, current.currency);
  const delta = (
    pick: (x: RoiReportT['totals']) => number | null,
    kind: 'relative' | 'points' = 'relative',
    goodWhenUp = true,
  ) =>
    describeDelta(
      comparisonDelta(
        { value: pick(t), coverage: t.coverage },
        c ? { value: pick(c.totals), coverage: c.totals.coverage } : null,
        kind,
      ),
      against,
      goodWhenUp,
    );
  return (
    <>
      <div className="kpis" aria-live="polite">
        <Kpi
          testId="kpi-value"
          label="Value"
          value={money(t.value)}
          delta={delta((x) => x.value)}
        />
        <Kpi
          testId="kpi-cost"
          label="Cost"
          value={money(t.cost)}
          delta={delta((x) => x.cost, 'relative', false)}
        />
        <Kpi
          testId="kpi-profit"
          label="Profit"
          value={money(t.profit)}
          delta={delta((x) => x.profit)}
        />
        <Kpi
          testId="kpi-roi"
          label="ROI"
          value={formatPercent(t.roi)}
          delta={delta((x) => x.roi, 'points')}
          help={
            <RoiHelp
              figures={{ value: t.value, cost: t.cost, roi: t.roi, currency: current.currency }}
            />
          }
        />
      </div>
      <p className="muted small" data-testid="report-scope">
        {formatDateRange(current.from, current.to)}: {coverageText(t.coverage)}
        {c && (
          <>
            {' '}
            · compared with {formatDateRange(c.from, c.to)} ({against}):{' '}
            {coverageText(c.totals.coverage)}
          </>
        )}
        . Revenue as imported {money(t.revenue)} · sessions {formatNumber(t.sessions)} · conversions{' '}
        {formatNumber(t.conversions)} · clicks {formatNumber(t.clicks)} · avg. position{' '}
        {formatNumber(t.position, 1)}
      </p>
      {c && !isCovered(c.totals.coverage) && (
        <Alert kind="info" title="Not enough earlier data to compare">
          Only {coverageText(c.totals.coverage)} of {formatDateRange(c.from, c.to)} have data, so no
          change is shown: a percentage against a nearly empty period would mean nothing.
          Comparisons appear once both periods have data on at least 90% of their days.
        </Alert>
      )}
    </>
  );
}

export function DashboardPage() {
  const { role, settings } = useWorkspace();
  const path = useWorkspacePath();
  const { preset, compare, siteId, period, update } = useDashboardFilters(settings?.timezone);
  const sites = useResource(() => listSites(), []);
  const siteIds = useMemo(() => (siteId ? [siteId] : undefined), [siteId]);
  const groupBy = groupingFor(period);
  const report = useResource<DashboardData>(
    async (signal) => {
      const [current, bySite] = await Promise.all([
        getRoiReport({ ...period, groupBy, siteId: siteIds, compare }, signal),
        getRoiReport({ ...period, groupBy: 'site', siteId: siteIds }, signal),
      ]);
      return { current, bySite };
    },
    [period.from, period.to, groupBy, siteIds, compare],
  );
  const exportCsv = useSubmit(() =>
    downloadRoiReport({ ...period, groupBy, siteId: siteIds, compare }),
  );
  const siteList = sites.data?.data ?? [];
  const siteName = (id: string, label: string) => siteList.find((s) => s.id === id)?.name ?? label;
  const exportPdf = useSubmit(() => downloadReportPdf({ ...period, siteId: siteIds }));
  const noSites = sites.data && sites.data.data.length === 0;

  return (
    <>
      <PageHeader
        title="Dashboard"
        actions={
          <>
            <Button onClick={() => void exportPdf.run()} busy={exportPdf.busy}>
              Download PDF
            </Button>
            <Button onClick={() => void exportCsv.run()} busy={exportCsv.busy}>
              Download CSV
            </Button>
            {isStaff(role) && (
              <Link className="btn btn-secondary" to={path('shared-reports')}>
                Share
              </Link>
            )}
          </>
        }
      >
        What the SEO work earned against what it cost.
      </PageHeader>
      <FormError error={exportCsv.error} />
      <FormError error={exportPdf.error} />
      <form className="filters" aria-label="Report filters" onSubmit={(e) => e.preventDefault()}>
        <div className="field field-inline">
          <label htmlFor="period">Period</label>
          <select
            id="period"
            value={preset}
            onChange={(e) =>
              update({
                period: e.target.value,
                ...(e.target.value === 'custom'
                  ? { from: period.from, to: period.to }
                  : { from: null, to: null }),
              })
            }
          >
            {PERIOD_PRESETS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
            <option value="custom">Custom dates…</option>
          </select>
        </div>
        {preset === 'custom' && (
          <>
            <div className="field field-inline">
              <label htmlFor="from">From</label>
              <input
                id="from"
                type="date"
                value={period.from}
                max={period.to}
                onChange={(e) => e.target.value && update({ from: e.target.value })}
              />
            </div>
            <div className="field field-inline">
              <label htmlFor="to">To</label>
              <input
                id="to"
                type="date"
                value={period.to}
                min={period.from}
                onChange={(e) => e.target.value && update({ to: e.target.value })}
              />
            </div>
          </>
        )}
        <fieldset className="field field-inline compare-field">
          <legend>Compare with</legend>
          <div className="segmented">
            {COMPARES.map((c) => (
              <label key={c.value} className={compare === c.value ? 'segment-on' : undefined}>
                <input
                  type="radio"
                  name="compare"
                  value={c.value}
                  checked={compare === c.value}
                  onChange={() => update({ compare: c.value === 'previous' ? null : c.value })}
                />
                {c.label}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="field field-inline">
          <label htmlFor="site-filter">Site</label>
          <select
            id="site-filter"
            value={siteId}
            onChange={(e) => update({ site: e.target.value || null })}
          >
            <option value="">All sites</option>
            {siteList.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      </form>
      <p className="muted small" data-testid="period-dates">
        {formatDateRange(period.from, period.to)} (
        {formatNumber(daysInclusive(period.from, period.to))} days)
      </p>

      {noSites ? (
        <Card>
          <EmptyState title="No sites yet">
            {isStaff(role) ? (
              <p>
                <Link to={path('sites')}>Add your first site</Link>, import its metrics and record
                the services delivered: the ROI appears here.
              </p>
            ) : (
              <p>No site has been shared with you yet.</p>
            )}
          </EmptyState>
        </Card>
      ) : (
        <Loadable resource={report} label="the report">
          {({ current, bySite }) => {
            const money = (v: number) => formatMoney(v, current.currency);
            return (
              <div aria-busy={report.loading} className={report.loading ? 'refreshing' : undefined}>
                <Figures current={current} compare={compare} />
                <div className="grid-charts">
                  <Card title="Value vs cost">
                    <ValueCostChart report={current} />
                  </Card>
                  <Card title="Payback" actions={<RoiHelp />}>
                    <CumulativeValueChart report={current} />
                  </Card>
                </div>
                <div className="grid-charts">
                  <Card
                    title="By site"
                    actions={
                      <span className="muted small">
                        ROI explained <RoiHelp />
                      </span>
                    }
                  >
                    <DataTable
                      testId="site-table"
                      rows={bySite.series}
                      rowKey={(s) => s.key}
                      empty={<EmptyState title="No data for this period" />}
                      columns={[
                        {
                          header: 'Site',
                          cell: (s) => (
                            <Link to={path(`sites/${s.key}`)}>{siteName(s.key, s.label)}</Link>
                          ),
                        },
                        { header: 'Revenue', kind: 'number', cell: (s) => money(s.revenue) },
                        { header: 'Value', kind: 'number', cell: (s) => money(s.value) },
                        { header: 'Cost', kind: 'number', cell: (s) => money(s.cost) },
                        {
                          header: 'Profit',
                          kind: 'number',
                          cell: (s) => money(s.profit),
                          cellClassName: (s) => (s.profit < 0 ? 'text-bad' : undefined),
                        },
                        { header: 'ROI', kind: 'number', cell: (s) => formatPercent(s.roi) },
                      ]}
                    />
                  </Card>
                  <Card title="ROI by site" actions={<RoiHelp />}>
                    <RoiBySiteChart report={bySite} siteName={siteName} />
                  </Card>
                </div>
              </div>
            );
          }}
        </Loadable>
      )}
      {!noSites && (
        <GoalsPanel
          sites={siteList}
          currency={settings?.currency ?? 'USD'}
          canManage={isStaff(role)}
        />
      )}
    </>
  );
}
